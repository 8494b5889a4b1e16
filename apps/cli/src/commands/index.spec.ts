import { Command } from 'commander';
import { commandGroups, groupsFor, type CommandGroup } from './index';

const fake = (name: string): CommandGroup => ({ name, load: async () => [] });
const names = (groups: readonly CommandGroup[]) => groups.map((g) => g.name);

describe('groupsFor: only the command a line names is loaded', () => {
  const groups = ['version', 'registry', 'audit'].map(fake);

  it('loads the one group the first word names, whatever follows', () => {
    expect(names(groupsFor(['registry', 'check', 'file.json'], groups))).toEqual(['registry']);
    expect(names(groupsFor(['audit', 'verify', '--help'], groups))).toEqual(['audit']);
  });

  it('loads every group when the line names none, so the full help and the suggestions see them all', () => {
    for (const args of [[], ['--help'], ['-h'], ['--help', 'audit'], ['-h', 'registry', 'check'], ['help', 'audit'], ['regsitry', 'check'], ['Registry']]) {
      expect(names(groupsFor(args, groups))).toEqual(['version', 'registry', 'audit']);
    }
  });

  it('does not take a word after the first for a command (an argument named like a command)', () => {
    expect(names(groupsFor(['version', 'audit'], groups))).toEqual(['version']);
  });
});

describe('commandGroups: the table matches the command files', () => {
  it('each group registers exactly the top-level command it is named after, and every name is unique', async () => {
    expect(new Set(names(commandGroups)).size).toBe(commandGroups.length);
    for (const group of commandGroups) {
      const program = new Command('passerelle');
      for (const register of await group.load()) register(program);
      expect({ group: group.name, commands: program.commands.map((c) => c.name()) }).toEqual({ group: group.name, commands: [group.name] });
    }
  });
});
