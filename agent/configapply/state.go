package configapply

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// state is what the apply keeps on disk beside the config, so that a
// power cut during a trial and a retained bad config are both handled
// after a reboot.
type state struct {
	// Trying is the config on trial in slot B; nil when none is.
	Trying *trial `json:"trying,omitempty"`
	// RolledBack lists the configs that failed their trial, oldest first,
	// at most maxRolledBack of them: they are answered, never tried again.
	RolledBack []outcome `json:"rolled_back,omitempty"`
}

// trial is a config on trial.
type trial struct {
	Hash  string    `json:"hash"`
	Since time.Time `json:"since"`
}

// outcome is a config's final answer, kept to be given again.
type outcome struct {
	Hash   string    `json:"hash"`
	Reason string    `json:"reason"`
	Time   time.Time `json:"time"`
}

// maxRolledBack bounds the rolled-back list: a device sees few bad
// configs, and the retained one is always the latest.
const maxRolledBack = 16

// rolledBack returns the recorded outcome of hash's trial, if it failed.
func (s *state) rolledBack(hash string) (outcome, bool) {
	for _, o := range s.RolledBack {
		if o.Hash == hash {
			return o, true
		}
	}
	return outcome{}, false
}

// addRolledBack records a failed trial, dropping the oldest past the bound.
func (s *state) addRolledBack(o outcome) {
	if _, ok := s.rolledBack(o.Hash); ok {
		return
	}
	s.RolledBack = append(s.RolledBack, o)
	if n := len(s.RolledBack) - maxRolledBack; n > 0 {
		s.RolledBack = append([]outcome(nil), s.RolledBack[n:]...)
	}
}

// readState reads the state file at path; a missing file is the empty
// state.
func readState(path string) (state, error) {
	var s state
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return s, fmt.Errorf("configapply: read state: %w", err)
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return s, fmt.Errorf("configapply: state file %s: %w", path, err)
	}
	return s, nil
}

// writeState replaces the state file at path atomically.
func writeState(path string, s state) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("configapply: state: %w", err)
	}
	return writeFile(path, append(b, '\n'))
}

// writeFile replaces the file at path with data so that after a power cut
// it holds either the old bytes or the new ones, never a mix: a temporary
// file in the same directory, synced, renamed over path, and the directory
// synced so that the rename itself is durable.
func writeFile(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("configapply: write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			os.Remove(f.Name())
		}
	}()
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("configapply: write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("configapply: sync %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("configapply: write %s: %w", path, err)
	}
	// CreateTemp makes the file 0600, which suits a config that may hold
	// broker credentials.
	return rename(f.Name(), path)
}

// rename moves from to to and syncs their directory.
func rename(from, to string) error {
	if err := os.Rename(from, to); err != nil {
		return fmt.Errorf("configapply: %w", err)
	}
	return syncDir(filepath.Dir(to))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("configapply: sync directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("configapply: sync directory %s: %w", dir, err)
	}
	return nil
}

// remove deletes path if it exists, durably.
func remove(path string) error {
	err := os.Remove(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("configapply: %w", err)
	}
	return syncDir(filepath.Dir(path))
}
