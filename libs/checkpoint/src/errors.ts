/**
 * Every refusal of this module is a NoteFormatError whose `code` names the rule that was
 * broken; messages never echo the note text (only lengths, line numbers and key names).
 */
export type NoteErrorCode =
  | 'not-utf8'
  | 'control-character'
  | 'too-large'
  | 'no-signature-block'
  | 'bad-signature-line'
  | 'bad-key-name'
  | 'bad-base64'
  | 'signature-too-short'
  | 'too-many-signatures'
  | 'no-trusted-signature'
  | 'invalid-signature'
  | 'bad-vkey'
  | 'bad-private-key'
  | 'bad-checkpoint'
  | 'bad-cosignature';

export class NoteFormatError extends Error {
  constructor(
    readonly code: NoteErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'NoteFormatError';
  }
}
