import { dictionaries } from './i18n';

describe('console dictionaries', () => {
  it('have the same keys and the same placeholders in English and French', () => {
    const { en, fr } = dictionaries;
    expect(Object.keys(fr).sort()).toEqual(Object.keys(en).sort());
    const vars = (s: string) => (s.match(/\{\w+\}/g) ?? []).sort();
    for (const k of Object.keys(en) as (keyof typeof en)[]) expect([k, vars(fr[k])]).toEqual([k, vars(en[k])]);
  });
});
