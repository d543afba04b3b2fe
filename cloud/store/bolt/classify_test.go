package bolt

import (
	"errors"
	"fmt"
	"testing"

	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/xiuhua/xiuhua/cloud/store"
)

// bbolt's lock timeout may pass if tried again; a key or value it cannot
// hold never will; the disk's errors are neither, so that the collector
// stops rather than blame the device or spin.
func TestClassify(t *testing.T) {
	errDisk := errors.New("write /var/lib/xiuhua/c.db: input/output error")
	for _, tc := range []struct {
		err                error
		transient, invalid bool
	}{
		{bolterrors.ErrTimeout, true, false},
		{bolterrors.ErrKeyTooLarge, false, true},
		{bolterrors.ErrValueTooLarge, false, true},
		{errDisk, false, false},
		{store.ErrClosed, false, false},
	} {
		err := classify(fmt.Errorf("bolt: append: %w", tc.err))
		if errors.Is(err, store.ErrTransient) != tc.transient || errors.Is(err, store.ErrInvalid) != tc.invalid || !errors.Is(err, tc.err) {
			t.Errorf("classify(%v): transient %v, invalid %v; want %v, %v", tc.err,
				errors.Is(err, store.ErrTransient), errors.Is(err, store.ErrInvalid), tc.transient, tc.invalid)
		}
		if err.Error() != "bolt: append: "+tc.err.Error() {
			t.Errorf("classify changed the text to %q", err)
		}
	}
}
