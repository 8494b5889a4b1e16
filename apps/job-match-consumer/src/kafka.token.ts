export { KAFKA } from '@passerelle/messaging';
