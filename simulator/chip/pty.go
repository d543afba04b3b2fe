package chip

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"

	"golang.org/x/sys/unix"
)

// PTY is a Linux pseudo-terminal: an emulated chip reads and writes
// Master, and a driver opens SlavePath as its serial port.
//
// The slave is raw (no echo, no line editing, no CR/LF translation, no
// XON/XOFF, 8 bits): without that the terminal would echo the chip's own
// frames back to it and rewrite bytes such as 0x0D and 0x11 on their way.
// The PTY holds its own descriptor on the slave for as long as it is open,
// so the master never reads EIO while no driver has the port open, as
// would otherwise happen whenever the last slave descriptor closes.
//
// Master is in non-blocking mode under the Go runtime poller, so its
// deadlines work and Close interrupts a blocked Read or Write. (creack/pty
// puts its master in blocking mode by calling Fd, which is why this
// package opens /dev/ptmx itself.)
type PTY struct {
	Master    *os.File
	SlavePath string

	slave *os.File
	once  sync.Once
	err   error
}

// OpenPTY opens a new pseudo-terminal pair.
func OpenPTY() (*PTY, error) {
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		return nil, fmt.Errorf("chip: open pty: %w", err)
	}
	n, err := unlock(m)
	if err != nil {
		m.Close()
		return nil, fmt.Errorf("chip: open pty: %w", err)
	}
	path := "/dev/pts/" + strconv.FormatUint(uint64(n), 10)
	s, err := os.OpenFile(path, os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		m.Close()
		return nil, fmt.Errorf("chip: open pty slave: %w", err)
	}
	if err := control(s, makeRaw); err != nil {
		s.Close()
		m.Close()
		return nil, fmt.Errorf("chip: set %s raw: %w", path, err)
	}
	return &PTY{Master: m, SlavePath: path, slave: s}, nil
}

// unlock unlocks the slave of master m and returns its number.
func unlock(m *os.File) (uint32, error) {
	var n uint32
	err := control(m, func(fd int) error {
		if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
			return fmt.Errorf("unlock: %w", err)
		}
		var err error
		if n, err = unix.IoctlGetUint32(fd, unix.TIOCGPTN); err != nil {
			return fmt.Errorf("get slave number: %w", err)
		}
		return nil
	})
	return n, err
}

// makeRaw is cfmakeraw(3).
func makeRaw(fd int) error {
	t, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return err
	}
	t.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON | unix.IXOFF
	t.Oflag &^= unix.OPOST
	t.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	t.Cflag &^= unix.CSIZE | unix.PARENB
	t.Cflag |= unix.CS8 | unix.CREAD | unix.CLOCAL
	t.Cc[unix.VMIN] = 1
	t.Cc[unix.VTIME] = 0
	return unix.IoctlSetTermios(fd, unix.TCSETS, t)
}

// control runs f on f's descriptor without taking it out of the poller,
// which (*os.File).Fd would do.
func control(file *os.File, f func(fd int) error) error {
	rc, err := file.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) { ferr = f(int(fd)) }); err != nil {
		return err
	}
	return ferr
}

// Close closes both ends. Closing twice is harmless.
func (p *PTY) Close() error {
	p.once.Do(func() {
		p.err = errors.Join(p.Master.Close(), p.slave.Close())
		if p.err != nil {
			p.err = fmt.Errorf("chip: close pty: %w", p.err)
		}
	})
	return p.err
}
