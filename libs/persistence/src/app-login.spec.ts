import { loginProblem, type LoginFacts } from './app-login';

const ownLogin: LoginFacts = { user: 'passerelle_gateway', superuser: false, createRole: false, bypassRls: false, memberOf: [], owns: false };

describe('loginProblem: an app runs only on its own login', () => {
  it('accepts an app login that is nothing but a login', () => {
    expect(loginProblem(ownLogin)).toBeUndefined();
  });

  it.each<[string, Partial<LoginFacts>, string]>([
    ['a superuser', { user: 'postgres', superuser: true, owns: true }, 'logs in as "postgres", a superuser'],
    ['the owner', { user: 'owner', owns: true }, 'logs in as "owner", which owns the database or its tables'],
    ['a role maker', { createRole: true }, 'logs in as "passerelle_gateway", which may create roles'],
    ['a row-security bypasser', { bypassRls: true }, 'logs in as "passerelle_gateway", which bypasses row security'],
    ['a member of other roles', { memberOf: ['owner', 'passerelle_app'] }, 'logs in as "passerelle_gateway", which can become "owner", "passerelle_app"'],
  ])('refuses %s, naming why', (_, facts, message) => {
    expect(loginProblem({ ...ownLogin, ...facts })).toBe(message);
  });
});
