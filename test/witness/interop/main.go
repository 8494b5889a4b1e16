// Independent check of Passerelle's checkpoints and cosignatures with Go's
// golang.org/x/mod/sumdb/note (Debian's golang-golang-x-mod-dev, GOPATH mode).
// Only the note format comes from x/mod; the cosignature/v1 verifier below is
// written from c2sp.org/tlog-cosignature, not from our TypeScript.
//
//	go run main.go verify <dir>  exit 0 if <dir>/checkpoint.note opens with the log
//	                             key and carries a valid cosignature of the witness
//	go run main.go sign <dir>    writes <dir>/go.vkey and <dir>/go-signed.note, a
//	                             checkpoint signed by a fresh Go-generated log key
package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

type cosigV1 struct {
	name string
	hash uint32
	key  ed25519.PublicKey
}

func (v cosigV1) Name() string    { return v.name }
func (v cosigV1) KeyHash() uint32 { return v.hash }
func (v cosigV1) Verify(msg, sig []byte) bool {
	if len(sig) != 8+ed25519.SignatureSize {
		return false
	}
	t := binary.BigEndian.Uint64(sig[:8])
	if t > 1<<63-1 {
		return false
	}
	signed := append([]byte(fmt.Sprintf("cosignature/v1\ntime %d\n", t)), msg...)
	return ed25519.Verify(v.key, signed, sig[8:])
}

func cosignatureVerifier(vkey string) (note.Verifier, error) {
	parts := strings.SplitN(strings.TrimSpace(vkey), "+", 3)
	if len(parts) != 3 {
		return nil, errors.New("malformed witness vkey")
	}
	raw, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(raw) != 1+ed25519.PublicKeySize || raw[0] != 0x04 {
		return nil, errors.New("witness vkey is not a 0x04 Ed25519 key")
	}
	h := sha256.Sum256(append([]byte(parts[0]+"\n\x04"), raw[1:]...))
	hash := binary.BigEndian.Uint32(h[:4])
	if fmt.Sprintf("%08x", hash) != parts[1] {
		return nil, errors.New("witness vkey key ID does not match its key")
	}
	return cosigV1{name: parts[0], hash: hash, key: ed25519.PublicKey(raw[1:])}, nil
}

func read(dir, name string) []byte {
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		fail("%v", err)
	}
	return b
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "go-interop: "+format+"\n", args...)
	os.Exit(1)
}

// checkCheckpoint parses the tlog-checkpoint body independently of our TypeScript.
func checkCheckpoint(text string) (string, uint64) {
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) < 3 || !strings.HasSuffix(text, "\n") {
		fail("checkpoint body has fewer than 3 lines")
	}
	size, err := strconv.ParseUint(lines[1], 10, 64)
	if err != nil || strconv.FormatUint(size, 10) != lines[1] {
		fail("checkpoint size line is not canonical decimal")
	}
	root, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(root) != 32 {
		fail("checkpoint root hash is not 32 bytes of base64")
	}
	return lines[0], size
}

func main() {
	if len(os.Args) != 3 {
		fail("usage: main.go verify|sign <dir>")
	}
	dir := os.Args[2]
	switch os.Args[1] {
	case "verify":
		logV, err := note.NewVerifier(strings.TrimSpace(string(read(dir, "log.vkey"))))
		if err != nil {
			fail("log vkey: %v", err)
		}
		witV, err := cosignatureVerifier(string(read(dir, "witness.vkey")))
		if err != nil {
			fail("%v", err)
		}
		n, err := note.Open(read(dir, "checkpoint.note"), note.VerifierList(logV, witV))
		if err != nil {
			fail("note.Open: %v", err)
		}
		var haveLog, haveWitness bool
		for _, s := range n.Sigs {
			haveLog = haveLog || (s.Name == logV.Name() && s.Hash == logV.KeyHash())
			haveWitness = haveWitness || (s.Name == witV.Name() && s.Hash == witV.KeyHash())
		}
		if !haveLog || !haveWitness {
			fail("verified signatures: log %v, witness %v", haveLog, haveWitness)
		}
		origin, size := checkCheckpoint(n.Text)
		fmt.Printf("verified %s size %d: log signature and cosignature/v1 of %s (%d verified, %d unknown)\n", origin, size, witV.Name(), len(n.Sigs), len(n.UnverifiedSigs))
	case "sign":
		skey, vkey, err := note.GenerateKey(rand.Reader, "go.example/log")
		if err != nil {
			fail("%v", err)
		}
		signer, err := note.NewSigner(skey)
		if err != nil {
			fail("%v", err)
		}
		root := sha256.Sum256([]byte("go"))
		text := fmt.Sprintf("go.example/log\n42\n%s\n", base64.StdEncoding.EncodeToString(root[:]))
		msg, err := note.Sign(&note.Note{Text: text}, signer)
		if err != nil {
			fail("%v", err)
		}
		if err := os.WriteFile(filepath.Join(dir, "go.vkey"), []byte(vkey+"\n"), 0o644); err != nil {
			fail("%v", err)
		}
		if err := os.WriteFile(filepath.Join(dir, "go-signed.note"), msg, 0o644); err != nil {
			fail("%v", err)
		}
		fmt.Println(string(bytes.TrimSpace([]byte("signed go.example/log size 42 with a Go-generated key"))))
	default:
		fail("unknown mode %q", os.Args[1])
	}
}
