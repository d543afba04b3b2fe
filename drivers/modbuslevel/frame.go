package modbuslevel

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Function codes this driver reads with.
const (
	ReadHolding = 0x03 // read holding registers
	ReadInput   = 0x04 // read input registers

	exceptionBit = 0x80
)

// Frame sizes.
const (
	requestSize   = 8   // addr, function, register (2), count (2), CRC (2)
	exceptionSize = 5   // addr, function|0x80, code, CRC (2)
	headerSize    = 3   // addr, function, byte count (or exception code)
	maxFrame      = 256 // the RTU ADU limit
	maxRegisters  = 125 // per read, so that a response fits maxFrame
)

// Errors. Others wrap these with detail after the sentinel's text.
var (
	// ErrTimeout means the slave did not answer in time.
	ErrTimeout = errors.New("modbuslevel: no response")
	// ErrCRC means a frame's CRC did not match its bytes.
	ErrCRC = errors.New("modbuslevel: bad CRC")
	// ErrTruncated means a frame ended before its length said it would.
	ErrTruncated = errors.New("modbuslevel: truncated frame")
	// ErrFrame means a frame with a good CRC is not the answer asked for:
	// another slave, another function, another register count.
	ErrFrame = errors.New("modbuslevel: unexpected frame")
	// ErrValue means registers decode to a value that is not a distance
	// (NaN, infinite, beyond ±9.2×10⁹ m).
	ErrValue = errors.New("modbuslevel: value out of range")
)

// ExceptionError is a slave's exception response: it understood the
// request and refused it. Code says why.
type ExceptionError struct {
	Slave    byte
	Function byte // the function refused, without the 0x80 bit
	Code     byte
}

var exceptionNames = map[byte]string{
	0x01: "illegal function", 0x02: "illegal data address", 0x03: "illegal data value",
	0x04: "slave device failure", 0x05: "acknowledge", 0x06: "slave device busy",
	0x08: "memory parity error", 0x0a: "gateway path unavailable", 0x0b: "gateway target failed to respond",
}

func (e *ExceptionError) Error() string {
	name := exceptionNames[e.Code]
	if name == "" {
		name = "unknown exception"
	}
	return fmt.Sprintf("modbuslevel: slave %d refused function %#02x: exception %#02x (%s)", e.Slave, e.Function, e.Code, name)
}

// crc16 is CRC-16/MODBUS: reflected polynomial 0xA001, initial value
// 0xFFFF. It goes on the wire low byte first. Table-driven, because the
// stream decoder checks a candidate frame at every byte of garbage.
func crc16(b []byte) uint16 {
	crc := uint16(0xffff)
	for _, c := range b {
		crc = crc>>8 ^ crcTable[byte(crc)^c]
	}
	return crc
}

var crcTable = func() (t [256]uint16) {
	for i := range t {
		crc := uint16(i)
		for range 8 {
			if crc&1 != 0 {
				crc = crc>>1 ^ 0xa001
			} else {
				crc >>= 1
			}
		}
		t[i] = crc
	}
	return t
}()

// crcOK reports whether a whole frame ends with the CRC of the bytes
// before its last two.
func crcOK(f []byte) bool {
	n := len(f)
	return n >= 4 && binary.LittleEndian.Uint16(f[n-2:]) == crc16(f[:n-2])
}

// Request builds a read request: slave, function, register, count, CRC.
func Request(slave, function byte, register, count uint16) []byte {
	b := make([]byte, requestSize)
	b[0], b[1] = slave, function
	binary.BigEndian.PutUint16(b[2:], register)
	binary.BigEndian.PutUint16(b[4:], count)
	binary.LittleEndian.PutUint16(b[6:], crc16(b[:6]))
	return b
}

// rest returns how many bytes follow a response's 3-byte header: the data
// and the CRC of a normal response, or the CRC of an exception. A header
// that answers anything else is an error.
func rest(hdr []byte, slave, function byte, count int) (int, error) {
	switch {
	case hdr[0] != slave:
		return 0, fmt.Errorf("%w: % x from slave %d, want %d", ErrFrame, hdr, hdr[0], slave)
	case hdr[1] == function|exceptionBit:
		return exceptionSize - headerSize, nil
	case hdr[1] != function:
		return 0, fmt.Errorf("%w: % x answers function %#02x, want %#02x", ErrFrame, hdr, hdr[1], function)
	case int(hdr[2]) != 2*count:
		return 0, fmt.Errorf("%w: % x has %d data bytes, want %d", ErrFrame, hdr, hdr[2], 2*count)
	}
	return 2*count + 2, nil
}

// ParseResponse checks a whole response frame to a read of count
// registers with function from slave, and returns the registers. An
// exception response is an *ExceptionError.
func ParseResponse(f []byte, slave, function byte, count int) ([]uint16, error) {
	if len(f) < exceptionSize {
		return nil, fmt.Errorf("%w: %d bytes, shorter than any response", ErrTruncated, len(f))
	}
	if !crcOK(f) {
		return nil, fmt.Errorf("%w: % x ends %04x, bytes give %04x", ErrCRC, f, binary.LittleEndian.Uint16(f[len(f)-2:]), crc16(f[:len(f)-2]))
	}
	n, err := rest(f[:headerSize], slave, function, count)
	if err != nil {
		return nil, err
	}
	if want := headerSize + n; len(f) != want {
		return nil, fmt.Errorf("%w: % x is %d bytes, want %d", ErrFrame, f, len(f), want)
	}
	if f[1]&exceptionBit != 0 {
		return nil, &ExceptionError{Slave: f[0], Function: function, Code: f[2]}
	}
	regs := make([]uint16, count)
	for i := range regs {
		regs[i] = binary.BigEndian.Uint16(f[headerSize+2*i:])
	}
	return regs, nil
}
