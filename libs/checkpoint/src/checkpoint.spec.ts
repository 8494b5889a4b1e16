import fc from 'fast-check';
import {
  appendSignatures,
  cosignatureMessage,
  cosignatureVerifier,
  cosigner,
  ed25519Signer,
  ed25519Verifier,
  EMPTY_TREE_ROOT,
  formatCheckpoint,
  formatPrivateKey,
  formatVkey,
  generateKeyPair,
  keyHash,
  NoteFormatError,
  openCheckpoint,
  openNote,
  parseCheckpoint,
  parseCosignatureLine,
  parseNote,
  parsePrivateKey,
  parseVkey,
  SIG_COSIGNATURE_V1,
  SIG_ED25519,
  signCheckpoint,
  signNote,
  verifierFromVkey,
  verifyCosignatures,
  type Checkpoint,
  type NoteErrorCode,
} from '.';

const refusal = (f: () => unknown, code: NoteErrorCode) => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(NoteFormatError);
    expect((e as NoteFormatError).code).toBe(code);
    return (e as NoteFormatError).message;
  }
  throw new Error(`expected a ${code} refusal`);
};

// Vectors published with the specs and with Go's golang.org/x/mod/sumdb/note tests.
const SPEC_VKEY = 'example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k';
const SPEC_NOTE = 'This is an example message.\n\n— example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n';
const PETER_SKEY = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
const PETER_VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const PETER_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const PETER_SIG = '— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=';
const ENOCH_VKEY = 'EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop';
const ENOCH_SIG = '— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=';
const SOFA = 'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n';
const SOFA_COSIGNED = `${SOFA}\n— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n— witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n`;

describe('signed notes (c2sp.org/signed-note) against published vectors', () => {
  it('verifies the spec example note with the spec example vkey', () => {
    const opened = openNote(SPEC_NOTE, [verifierFromVkey(SPEC_VKEY)]);
    expect(opened.text).toBe('This is an example message.\n');
    expect(opened.verified.map((s) => s.name)).toEqual(['example.com/foo']);
  });

  it('reproduces Go note.Sign byte for byte from the same private key (Ed25519 is deterministic)', () => {
    const pair = parsePrivateKey(PETER_SKEY);
    expect(formatVkey(pair.name, SIG_ED25519, pair.publicKey)).toBe(PETER_VKEY);
    expect(formatPrivateKey(pair)).toBe(PETER_SKEY);
    expect(signNote(PETER_TEXT, [ed25519Signer(pair)])).toBe(`${PETER_TEXT}\n${PETER_SIG}\n`);
  });

  it('verifies the known key, ignores the unknown one, and refuses when no known key signed', () => {
    const note = `${PETER_TEXT}\n${PETER_SIG}\n${ENOCH_SIG}\n`;
    const opened = openNote(note, [verifierFromVkey(PETER_VKEY)]);
    expect(opened.verified.map((s) => s.name)).toEqual(['PeterNeumann']);
    expect(opened.unverified.map((s) => s.name)).toEqual(['EnochRoot']);
    expect(openNote(note, [verifierFromVkey(PETER_VKEY), verifierFromVkey(ENOCH_VKEY)]).verified).toHaveLength(2);
    expect(refusal(() => openNote(`${PETER_TEXT}\n${ENOCH_SIG}\n`, [verifierFromVkey(PETER_VKEY)]), 'no-trusted-signature')).toContain('PeterNeumann');
  });

  it('refuses the whole note when a known key signature does not verify', () => {
    const tampered = `${PETER_TEXT.replace('answer', 'ANSWER')}\n${PETER_SIG}\n`;
    expect(refusal(() => openNote(tampered, [verifierFromVkey(PETER_VKEY)]), 'invalid-signature')).toContain('PeterNeumann');
  });

  it('ignores a signature that shares only the name or only the key ID with a known key', () => {
    const other = generateKeyPair('PeterNeumann', SIG_ED25519);
    const impostor = signNote(PETER_TEXT, [ed25519Signer(other)]);
    refusal(() => openNote(impostor, [verifierFromVkey(PETER_VKEY)]), 'no-trusted-signature');
  });

  it.each<[string, string, NoteErrorCode]>([
    ['no blank line', `${PETER_TEXT}${PETER_SIG}\n`, 'no-signature-block'],
    ['unterminated signature block', `${PETER_TEXT}\n${PETER_SIG}`, 'no-signature-block'],
    ['empty signature block', `${PETER_TEXT}\n`, 'no-signature-block'],
    ['a hyphen instead of an em dash', `${PETER_TEXT}\n- ${PETER_SIG.slice(2)}\n`, 'bad-signature-line'],
    ['a tab in the text', `a\tb\n\n${PETER_SIG}\n`, 'control-character'],
    ['a carriage return', `${PETER_TEXT}\r\n\n${PETER_SIG}\n`, 'control-character'],
    ['a name with a plus', `${PETER_TEXT}\n— Peter+Neumann ${PETER_SIG.split(' ')[2]}\n`, 'bad-key-name'],
    ['url-safe base64', `${PETER_TEXT}\n${PETER_SIG.replace('/', '_')}\n`, 'bad-base64'],
    ['unpadded base64', `${PETER_TEXT}\n${PETER_SIG.slice(0, -1)}\n`, 'bad-base64'],
    ['a four-byte signature', `${PETER_TEXT}\n— PeterNeumann AAAAAA==\n`, 'signature-too-short'],
    ['no space after the name', `${PETER_TEXT}\n— PeterNeumann\n`, 'bad-signature-line'],
    ['101 signatures', `${PETER_TEXT}\n${`${PETER_SIG}\n`.repeat(101)}`, 'too-many-signatures'],
  ])('refuses a malformed note: %s', (_what, note, code) => {
    refusal(() => parseNote(note), code);
  });

  it('refuses invalid UTF-8 given as bytes and lone surrogates given as a string', () => {
    refusal(() => parseNote(Buffer.concat([Buffer.from('a'), Buffer.from([0xff]), Buffer.from(`\n\n${PETER_SIG}\n`)])), 'not-utf8');
    refusal(() => parseNote(`a\ud800\n\n${PETER_SIG}\n`), 'not-utf8');
  });

  it('separates the text at the LAST blank line, so text may contain blank lines', () => {
    const pair = generateKeyPair('example.com/k', SIG_ED25519);
    const text = 'para one\n\npara two\n';
    const opened = openNote(signNote(text, [ed25519Signer(pair)]), [ed25519Verifier(pair.name, pair.publicKey)]);
    expect(opened.text).toBe(text);
  });
});

describe('verifier keys', () => {
  it('computes the key ID as SHA-256(name || 0x0A || type || key)[:4]', () => {
    const k = parseVkey(PETER_VKEY);
    expect(k.keyHash).toBe(0xc74f20a3);
    expect(keyHash('PeterNeumann', SIG_ED25519, k.publicKey)).toBe(0xc74f20a3);
    // Same key and name, cosignature type: a different ID, so the two can never be confused.
    expect(keyHash('PeterNeumann', SIG_COSIGNATURE_V1, k.publicKey)).not.toBe(0xc74f20a3);
  });

  it.each<[string, string]>([
    ['no plus', 'PeterNeumann'],
    ['a wrong key ID', 'PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'],
    ['an uppercase key ID', 'PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'],
    ['a wrong-length key (Go vector)', 'PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY=='],
    ['an unknown algorithm (Go vector)', 'PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'],
    ['an empty name', '+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'],
  ])('refuses a vkey with %s', (_what, vkey) => {
    refusal(() => parseVkey(vkey), 'bad-vkey');
  });

  it('round-trips generated keys of both types through vkey and private key text', () => {
    for (const type of [SIG_ED25519, SIG_COSIGNATURE_V1] as const) {
      const pair = generateKeyPair('witness.example/w1', type);
      const vkey = parseVkey(formatVkey(pair.name, type, pair.publicKey));
      expect(vkey.type).toBe(type);
      expect(vkey.publicKey.equals(pair.publicKey)).toBe(true);
      const again = parsePrivateKey(formatPrivateKey(pair));
      expect(again.seed.equals(pair.seed)).toBe(true);
      expect(again.type).toBe(type);
    }
    refusal(() => parsePrivateKey(formatPrivateKey(generateKeyPair('a', SIG_ED25519)).replace(/\+[0-9a-f]{8}\+/, '+00000000+')), 'bad-private-key');
  });
});

const logKey = generateKeyPair('example.org/log', SIG_ED25519);
const logSigner = ed25519Signer(logKey);
const logVerifier = ed25519Verifier(logKey.name, logKey.publicKey);
const root = (b: number) => Buffer.alloc(32, b);

describe('checkpoints (c2sp.org/tlog-checkpoint)', () => {
  it('parses the spec example and re-formats it byte for byte', () => {
    const cp = parseCheckpoint(SOFA);
    expect(cp).toEqual({ origin: 'example.com/behind-the-sofa', size: 20852163, rootHash: Buffer.from('CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=', 'base64'), extensions: [] });
    expect(formatCheckpoint(cp)).toBe(SOFA);
    expect(parseNote(SOFA_COSIGNED).text).toBe(SOFA);
  });

  it.each<[string, string]>([
    ['two lines', 'o\n1\n'],
    ['a leading zero', `o\n01\n${root(1).toString('base64')}\n`],
    ['a signed size', `o\n+1\n${root(1).toString('base64')}\n`],
    ['a size beyond 2^53-1', `o\n9007199254740992\n${root(1).toString('base64')}\n`],
    ['a 31-byte root', `o\n1\n${Buffer.alloc(31).toString('base64')}\n`],
    ['a hex root', `o\n1\n${root(1).toString('hex')}\n`],
    ['an empty origin', `\n1\n${root(1).toString('base64')}\n`],
    ['an empty extension line', `o\n1\n${root(1).toString('base64')}\n\nx\n`],
    ['no final newline', `o\n1\n${root(1).toString('base64')}`],
  ])('refuses a checkpoint with %s', (_what, text) => {
    refusal(() => parseCheckpoint(text), 'bad-checkpoint');
  });

  it('keeps extension lines, and a size of 0 with the empty-tree root is a valid checkpoint', () => {
    const cp: Checkpoint = { origin: 'example.org/log', size: 0, rootHash: EMPTY_TREE_ROOT, extensions: ['ext one', 'ext two'] };
    expect(parseCheckpoint(formatCheckpoint(cp))).toEqual(cp);
  });

  it('opens a signed checkpoint for its own origin only', () => {
    const note = signCheckpoint({ origin: 'example.org/log', size: 7, rootHash: root(7), extensions: [] }, [logSigner]);
    expect(openCheckpoint(note, 'example.org/log', [logVerifier]).checkpoint.size).toBe(7);
    expect(refusal(() => openCheckpoint(note, 'example.org/other', [logVerifier]), 'bad-checkpoint')).toContain('another log');
  });

  it('property: format/parse round-trips any checkpoint; the signed note opens to the same body', () => {
    const line = fc.string({ minLength: 1, maxLength: 40 }).filter((s) => !/[\u0000-\u001f]/.test(s) && !/[\uD800-\uDFFF]/.test(s));
    fc.assert(
      fc.property(line, fc.nat({ max: Number.MAX_SAFE_INTEGER }), fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.array(line, { maxLength: 3 }), (origin, size, r, extensions) => {
        const cp: Checkpoint = { origin, size, rootHash: Buffer.from(r), extensions };
        const text = formatCheckpoint(cp);
        expect(parseCheckpoint(text)).toEqual(cp);
        const opened = openCheckpoint(signNote(text, [logSigner]), origin, [logVerifier]);
        expect(opened.checkpoint).toEqual(cp);
      }),
      { numRuns: 200 },
    );
  });

  it('property: changing any one byte of a signed checkpoint is refused or changes nothing it vouches for', () => {
    const note = Buffer.from(signCheckpoint({ origin: 'example.org/log', size: 42, rootHash: root(42), extensions: [] }, [logSigner]));
    fc.assert(
      fc.property(fc.nat({ max: note.length - 1 }), fc.integer({ min: 1, max: 255 }), (at, delta) => {
        const bad = Buffer.from(note);
        bad[at] = (bad[at] + delta) & 0xff;
        let opened;
        try {
          opened = openCheckpoint(bad, 'example.org/log', [logVerifier]);
        } catch (e) {
          expect(e).toBeInstanceOf(NoteFormatError);
          return;
        }
        // Only a change that leaves the text and the verified signature intact can open.
        expect(formatCheckpoint(opened.checkpoint)).toBe(parseNote(note).text);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('cosignatures (c2sp.org/tlog-cosignature, cosignature/v1)', () => {
  const witness = generateKeyPair('witness.example/w1', SIG_COSIGNATURE_V1);
  const w = cosigner(witness, () => 1679315147);
  const wv = cosignatureVerifier(witness.name, witness.publicKey);

  it('signs exactly "cosignature/v1\\ntime <t>\\n" + the checkpoint body', () => {
    expect(cosignatureMessage(SOFA, 1679315147).toString()).toBe(`cosignature/v1\ntime 1679315147\n${SOFA}`);
    const line = w.cosign(SOFA, 1679315147);
    const parsed = parseCosignatureLine(line);
    expect(parsed).toMatchObject({ name: 'witness.example/w1', keyHash: keyHash(witness.name, 0x04, witness.publicKey), timestamp: 1679315147 });
    expect(parsed.signature).toHaveLength(64);
  });

  it('parses the spec example cosignature line: 8-byte timestamp, 64-byte signature', () => {
    const line = SOFA_COSIGNED.trimEnd().split('\n').pop()!;
    const parsed = parseCosignatureLine(line);
    expect(parsed.name).toBe('witness.example.com/w1');
    expect(parsed.timestamp).toBe(1679315147);
  });

  it('verifies on the checkpoint note, alongside the log signature', () => {
    const note = signCheckpoint({ origin: 'example.org/log', size: 3, rootHash: root(3), extensions: ['x'] }, [logSigner]);
    const cosigned = appendSignatures(note, [w.cosign(parseNote(note).text, 1700000000)]);
    expect(openNote(cosigned, [logVerifier]).verified).toHaveLength(1);
    expect(verifyCosignatures(cosigned, [wv])).toEqual([expect.objectContaining({ name: witness.name, timestamp: 1700000000 })]);
    // the cosignature is not an Ed25519 note signature: an 0x01 verifier of the same key ignores it
    expect(verifyCosignatures(cosigned, [ed25519Verifier(witness.name, witness.publicKey)])).toEqual([]);
  });

  it('refuses a cosignature moved to another checkpoint or with an altered timestamp', () => {
    const a = signCheckpoint({ origin: 'example.org/log', size: 3, rootHash: root(3), extensions: [] }, [logSigner]);
    const b = signCheckpoint({ origin: 'example.org/log', size: 3, rootHash: root(4), extensions: [] }, [logSigner]);
    const line = w.cosign(parseNote(a).text, 1700000000);
    expect(refusal(() => verifyCosignatures(appendSignatures(b, [line]), [wv]), 'invalid-signature')).toContain(witness.name);
    const raw = Buffer.from(line.split(' ')[2], 'base64');
    raw[11] ^= 1;
    const shifted = `— ${witness.name} ${raw.toString('base64')}`;
    refusal(() => verifyCosignatures(appendSignatures(a, [shifted]), [wv]), 'invalid-signature');
  });

  it('refuses a timestamp above 2^63-1 and a cosigner asked to sign something that is not a checkpoint', () => {
    const raw = Buffer.alloc(72);
    raw.writeBigUInt64BE(1n << 63n);
    expect(wv.verify(SOFA, raw)).toBe(false);
    const line = `— ${witness.name} ${Buffer.concat([Buffer.from([0, 0, 0, 0]), raw]).toString('base64')}`;
    refusal(() => parseCosignatureLine(line), 'bad-cosignature');
    refusal(() => w.cosign('hello\n', 1), 'bad-checkpoint');
  });

  it('property: a cosignature verifies for its own body and time, never for another body', () => {
    fc.assert(
      fc.property(fc.nat({ max: 2 ** 40 }), fc.nat({ max: 2 ** 40 }), fc.nat({ max: 2 ** 32 }), (size, other, t) => {
        const body = formatCheckpoint({ origin: 'example.org/log', size, rootHash: root(1), extensions: [] });
        const sig = Buffer.from(w.cosign(body, t).split(' ')[2], 'base64').subarray(4);
        expect(wv.verify(body, sig)).toBe(true);
        if (other !== size) expect(wv.verify(formatCheckpoint({ origin: 'example.org/log', size: other, rootHash: root(1), extensions: [] }), sig)).toBe(false);
      }),
      { numRuns: 50 },
    );
  });
});
