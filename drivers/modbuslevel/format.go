package modbuslevel

import (
	"fmt"
	"math"

	"periph.io/x/conn/v3/physic"
)

// Type is how registers hold a number. Bytes within a register are
// big-endian, as the Modbus specification says.
type Type uint8

const (
	Uint16  Type = iota // one register
	Int16               // one register, two's complement
	Uint32              // two registers
	Int32               // two registers, two's complement
	Float32             // two registers, IEEE 754
)

var typeNames = [...]string{Uint16: "uint16", Int16: "int16", Uint32: "uint32", Int32: "int32", Float32: "float32"}

func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return fmt.Sprintf("type(%d)", uint8(t))
}

// Registers returns how many registers a value of type t takes.
func (t Type) Registers() int {
	if t >= Uint32 {
		return 2
	}
	return 1
}

// WordOrder is the order of the two registers of a 32-bit value.
type WordOrder uint8

const (
	HighWordFirst WordOrder = iota // "big": the high 16 bits in the lower register (ABCD)
	LowWordFirst                   // "little": the low 16 bits first (CDAB), common on PLCs and some radars
)

func (w WordOrder) String() string {
	if w == LowWordFirst {
		return "little"
	}
	return "big"
}

// Format says how to turn registers into a distance: the number the
// registers hold, times Scale, plus Offset, in Unit.
type Format struct {
	Type      Type
	WordOrder WordOrder
	// Scale multiplies the raw number; 0 means 1.
	Scale float64
	// Offset is added after Scale, in Unit.
	Offset float64
	// Unit is what 1 means after scaling; 0 means physic.MilliMetre.
	Unit physic.Distance
}

// Raw returns the number regs hold. len(regs) must be f.Type.Registers().
func (f Format) Raw(regs []uint16) float64 {
	var u uint32
	if f.Type.Registers() == 2 {
		hi, lo := regs[0], regs[1]
		if f.WordOrder == LowWordFirst {
			hi, lo = lo, hi
		}
		u = uint32(hi)<<16 | uint32(lo)
	}
	switch f.Type {
	case Int16:
		return float64(int16(regs[0]))
	case Uint32:
		return float64(u)
	case Int32:
		return float64(int32(u))
	case Float32:
		return float64(math.Float32frombits(u))
	}
	return float64(regs[0])
}

// Distance returns the distance regs hold.
func (f Format) Distance(regs []uint16) (physic.Distance, error) {
	if len(regs) != f.Type.Registers() {
		return 0, fmt.Errorf("modbuslevel: %v takes %d registers, got %d", f.Type, f.Type.Registers(), len(regs))
	}
	scale, unit := f.Scale, f.Unit
	if scale == 0 {
		scale = 1
	}
	if unit == 0 {
		unit = physic.MilliMetre
	}
	raw := f.Raw(regs)
	nm := (raw*scale + f.Offset) * float64(unit)
	if math.IsNaN(nm) || math.Abs(nm) >= math.MaxInt64 {
		return 0, fmt.Errorf("%w: %v × %v + %v (registers % 04x)", ErrValue, raw, scale, f.Offset, regs)
	}
	return physic.Distance(math.Round(nm)), nil
}
