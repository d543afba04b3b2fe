package main

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/xiuhua/xiuhua/configs"
)

func keygen(args []string, c cmdIO) int {
	fset := c.flags("keygen", "--out NAME")
	out := fset.String("out", "", "write the private key to NAME.key (mode 0600) and the public key to NAME.pub")
	rest, err := parse(fset, args)
	if err != nil {
		return flagStatus(err)
	}
	if *out == "" || len(rest) > 0 {
		return c.usageError(fset, "config keygen: give --out NAME and nothing else")
	}
	privPath, pubPath := *out+".key", *out+".pub"
	for _, p := range []string{privPath, pubPath} {
		if _, err := os.Lstat(p); err == nil {
			c.errorf("%s exists; not overwriting a key (move it away first)", p)
			return exitProblem
		}
	}
	pub, priv, err := configs.GenerateKey()
	if err != nil {
		c.errorf("%v", err)
		return exitProblem
	}
	if err := writeNew(privPath, configs.MarshalPrivateKey(priv), 0o600); err != nil {
		c.errorf("%v", err)
		return exitProblem
	}
	if err := writeNew(pubPath, configs.MarshalPublicKey(pub), 0o644); err != nil {
		os.Remove(privPath)
		c.errorf("%v", err)
		return exitProblem
	}
	fmt.Fprintf(c.stdout, "wrote %s: the private key; keep it off devices and out of version control\n", privPath)
	fmt.Fprintf(c.stdout, "wrote %s: key id %s; install it on devices as their trust file\n", pubPath, configs.KeyID(pub))
	return exitOK
}

// writeNew creates path with data, failing if it exists: a key is never
// overwritten, not even in a race with another keygen.
func writeNew(path string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	return f.Close()
}

func sign(args []string, c cmdIO) int {
	fset := c.flags("sign", "--key NAME.key [-o OUT] [--skip-files] FILE")
	keyFile := fset.String("key", "", "the private key (from config keygen)")
	out := fset.String("o", "", "write the signed config here (default: standard output)")
	skip := fset.Bool("skip-files", false, "do not check that the files the config names (uplink.tls) exist: they are on the device")
	files, err := parse(fset, args)
	if err != nil {
		return flagStatus(err)
	}
	if *keyFile == "" || len(files) != 1 {
		return c.usageError(fset, "config sign: give --key and one file")
	}
	keyPEM, err := os.ReadFile(*keyFile)
	if err != nil {
		c.errorf("%v", err)
		return exitProblem
	}
	priv, err := configs.ParsePrivateKey(keyPEM)
	if err != nil {
		c.errorf("%s: %s", *keyFile, unprefixed(err))
		return exitProblem
	}
	file := files[0]
	data, err := os.ReadFile(file)
	if err != nil {
		c.errorf("%v", err)
		return exitProblem
	}
	if _, err := loadAgent(file, data, *skip); err != nil {
		fmt.Fprintln(c.stderr, err)
		c.errorf("%s not signed: fix the problems above first", file)
		return exitProblem
	}
	signed, err := configs.Sign(data, priv)
	if err != nil {
		c.errorf("%s: %s", file, unprefixed(err))
		return exitProblem
	}
	if *out == "" {
		c.stdout.Write(signed)
		return exitOK
	}
	if err := writeAtomic(*out, signed, 0o644); err != nil {
		c.errorf("%v", err)
		return exitProblem
	}
	fmt.Fprintf(c.stdout, "signed %s %s key %s\n", *out, configs.Hash(signed), configs.KeyID(priv.Public().(ed25519.PublicKey)))
	return exitOK
}

// readTrust reads a trust file of one or more public keys.
func readTrust(path string) ([]ed25519.PublicKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	keys, err := configs.ParsePublicKeys(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %s", path, unprefixed(err))
	}
	return keys, nil
}

func verify(args []string, c cmdIO) int {
	fset := c.flags("verify", "--trust PUB FILE...")
	trust := fset.String("trust", "", "the trusted public keys (PEM; several keys during a rotation)")
	files, err := parse(fset, args)
	if err != nil {
		return flagStatus(err)
	}
	if *trust == "" || len(files) == 0 {
		return c.usageError(fset, "config verify: give --trust and at least one file")
	}
	keys, err := readTrust(*trust)
	if err != nil {
		c.errorf("%v", err)
		return exitProblem
	}
	status := exitOK
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			c.errorf("%v", err)
			status = exitProblem
			continue
		}
		if _, id, err := configs.Verify(data, keys); err != nil {
			fmt.Fprintf(c.stderr, "%s: %s\n", f, unprefixed(err))
			status = exitProblem
		} else {
			fmt.Fprintf(c.stdout, "ok %s %s key %s\n", f, configs.Hash(data), id)
		}
	}
	return status
}

// writeAtomic replaces path with data so that a reader, or a power cut,
// sees the old file or the new one and never a part: a temporary file in
// the same directory, synced, renamed over path, and the directory synced.
func writeAtomic(path string, data []byte, mode os.FileMode) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	fail := func(err error) error {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if _, err := f.Write(data); err != nil {
		return fail(err)
	}
	if err := f.Chmod(mode); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, fs.ErrInvalid) {
		// Some filesystems (FAT on an SD card, say) cannot sync a
		// directory; the rename is as durable as they make it.
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}
