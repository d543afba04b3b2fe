package bolt_test

import (
	"encoding/binary"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/xiuhua/xiuhua/cloud/store"
	"github.com/xiuhua/xiuhua/cloud/store/bolt"
	"github.com/xiuhua/xiuhua/cloud/store/storetest"
)

// TestConformance runs the store contract with the journal (the default)
// and without it.
func TestConformance(t *testing.T) {
	for name, opts := range map[string]*bolt.Opts{"journal": nil, "direct": {NoJournal: true}} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			storetest.Run(t, func(t *testing.T) store.Store {
				// One file per test name, so that reopening within a test
				// finds the same data.
				path := filepath.Join(dir, strings.ReplaceAll(t.Name(), "/", "_")+".db")
				db, err := bolt.Open(path, opts)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				return db
			})
		})
	}
}

func TestOpenLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.db")
	db, err := bolt.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// flock is per open file, so a second Open in this process waits too.
	_, err = bolt.Open(path, &bolt.Opts{Timeout: 50 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "lock") {
		t.Fatalf("second Open = %v, want a lock error naming %s", err, path)
	}
}

func TestOpenRefuses(t *testing.T) {
	tests := []struct {
		name  string
		setup func(*bbolt.Tx) error
		want  error
		text  string
	}{
		{
			name: "newer schema",
			setup: func(tx *bbolt.Tx) error {
				b, err := tx.CreateBucket([]byte("meta"))
				if err != nil {
					return err
				}
				return b.Put([]byte("schema"), binary.BigEndian.AppendUint32(nil, bolt.SchemaVersion+1))
			},
			want: bolt.ErrSchema,
			text: "schema version 7; this build reads version 6 and migrates versions 1 to 5",
		},
		{
			name: "schema 0",
			setup: func(tx *bbolt.Tx) error {
				b, err := tx.CreateBucket([]byte("meta"))
				if err != nil {
					return err
				}
				return b.Put([]byte("schema"), binary.BigEndian.AppendUint32(nil, 0))
			},
			want: bolt.ErrSchema,
			text: "schema version 0;",
		},
		{
			name: "schema 1 without its buckets",
			setup: func(tx *bbolt.Tx) error {
				b, err := tx.CreateBucket([]byte("meta"))
				if err != nil {
					return err
				}
				return b.Put([]byte("schema"), binary.BigEndian.AppendUint32(nil, 1))
			},
			want: bolt.ErrCorrupt,
			text: `no "devices" bucket`,
		},
		{
			name: "schema 2 without aggregates",
			setup: func(tx *bbolt.Tx) error {
				if err := schema1(tx); err != nil {
					return err
				}
				return tx.Bucket([]byte("meta")).Put([]byte("schema"), binary.BigEndian.AppendUint32(nil, 2))
			},
			want: bolt.ErrCorrupt,
			text: `no "aggregates" bucket`,
		},
		{
			name: "schema 4 without rollups",
			setup: func(tx *bbolt.Tx) error {
				if err := schema2(tx); err != nil {
					return err
				}
				return tx.Bucket([]byte("meta")).Put([]byte("schema"), binary.BigEndian.AppendUint32(nil, 4))
			},
			want: bolt.ErrCorrupt,
			text: `no "rollups" bucket`,
		},
		{
			name: "foreign file",
			setup: func(tx *bbolt.Tx) error {
				_, err := tx.CreateBucket([]byte("outbox"))
				return err
			},
			want: bolt.ErrSchema,
			text: `holds bucket "outbox" but no schema version`,
		},
		{
			name: "missing bucket",
			setup: func(tx *bbolt.Tx) error {
				b, err := tx.CreateBucket([]byte("meta"))
				if err != nil {
					return err
				}
				return b.Put([]byte("schema"), binary.BigEndian.AppendUint32(nil, bolt.SchemaVersion))
			},
			want: bolt.ErrCorrupt,
			text: `no "devices" bucket`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "c.db")
			raw, err := bbolt.Open(path, 0o600, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := raw.Update(tc.setup); err != nil {
				t.Fatal(err)
			}
			raw.Close()
			db, err := bolt.Open(path, nil)
			if err == nil {
				db.Close()
				t.Fatal("Open succeeded")
			}
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.text) || !strings.Contains(err.Error(), path) {
				t.Errorf("Open = %v, want %v containing %q and the path", err, tc.want, tc.text)
			}
		})
	}
}
