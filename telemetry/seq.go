package telemetry

import (
	"fmt"
	"sort"
	"strings"
)

// Range is an inclusive range of sequence numbers, First ≤ Last.
type Range struct {
	First uint64 `json:"first"`
	Last  uint64 `json:"last"`
}

// Len is the number of sequence numbers in r.
func (r Range) Len() uint64 { return r.Last - r.First + 1 }

// Contains reports whether seq lies in r.
func (r Range) Contains(seq uint64) bool { return seq >= r.First && seq <= r.Last }

func (r Range) String() string {
	if r.First == r.Last {
		return fmt.Sprint(r.First)
	}
	return fmt.Sprintf("%d-%d", r.First, r.Last)
}

// Ranges is a set of sequence numbers kept as sorted, disjoint,
// non-adjacent ranges. The zero value is the empty set. Methods that change
// the set keep it in that canonical form.
type Ranges []Range

// RangesOf returns the set holding exactly seqs, which may be in any order
// and may repeat.
func RangesOf(seqs ...uint64) Ranges {
	s := append([]uint64(nil), seqs...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	var rs Ranges
	for _, q := range s {
		if n := len(rs); n > 0 && q <= rs[n-1].Last+1 {
			if q > rs[n-1].Last {
				rs[n-1].Last = q
			}
			continue
		}
		rs = append(rs, Range{q, q})
	}
	return rs
}

// Contains reports whether seq is in the set.
func (rs Ranges) Contains(seq uint64) bool {
	i := sort.Search(len(rs), func(i int) bool { return rs[i].Last >= seq })
	return i < len(rs) && rs[i].First <= seq
}

// Count is the number of sequence numbers in the set.
func (rs Ranges) Count() uint64 {
	var n uint64
	for _, r := range rs {
		n += r.Len()
	}
	return n
}

// Overlap is how many of r's sequence numbers the set holds.
func (rs Ranges) Overlap(r Range) uint64 {
	var n uint64
	for i := sort.Search(len(rs), func(i int) bool { return rs[i].Last >= r.First }); i < len(rs) && rs[i].First <= r.Last; i++ {
		n += Range{First: max(rs[i].First, r.First), Last: min(rs[i].Last, r.Last)}.Len()
	}
	return n
}

// Max is the largest sequence number in the set, or 0 when it is empty.
func (rs Ranges) Max() uint64 {
	if len(rs) == 0 {
		return 0
	}
	return rs[len(rs)-1].Last
}

// Add returns the set with r added. It may reuse rs's storage.
func (rs Ranges) Add(r Range) Ranges {
	if r.First > r.Last {
		return rs
	}
	// Find the first range that ends at or after r.First-1 (touching counts).
	i := sort.Search(len(rs), func(i int) bool { return rs[i].Last+1 >= r.First })
	j := i
	for j < len(rs) && rs[j].First <= r.Last+1 {
		r.First = min(r.First, rs[j].First)
		r.Last = max(r.Last, rs[j].Last)
		j++
	}
	if i == j {
		rs = append(rs, Range{})
		copy(rs[i+1:], rs[i:])
		rs[i] = r
		return rs
	}
	rs[i] = r
	return append(rs[:i+1], rs[j:]...)
}

// Union returns the set of sequence numbers in rs or in other.
func (rs Ranges) Union(other Ranges) Ranges {
	out := append(Ranges(nil), rs...)
	for _, r := range other {
		out = out.Add(r)
	}
	return out
}

// Gaps returns the sequence numbers in [1, upTo] that are not in the set.
func (rs Ranges) Gaps(upTo uint64) Ranges {
	var gaps Ranges
	next := uint64(1)
	for _, r := range rs {
		if next > upTo {
			break
		}
		if r.First > next {
			gaps = append(gaps, Range{next, min(r.First-1, upTo)})
		}
		next = max(next, r.Last+1)
	}
	if next <= upTo {
		gaps = append(gaps, Range{next, upTo})
	}
	return gaps
}

// Valid reports whether rs is in canonical form: each range non-empty,
// sorted, and neither overlapping nor touching the next one.
func (rs Ranges) Valid() bool {
	for i, r := range rs {
		if r.First > r.Last || r.First == 0 {
			return false
		}
		if i > 0 && rs[i-1].Last+1 >= r.First {
			return false
		}
	}
	return true
}

func (rs Ranges) String() string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = r.String()
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// Subtract returns the sequence numbers in rs that are not in other.
func (rs Ranges) Subtract(other Ranges) Ranges {
	var out Ranges
	j := 0
	for _, r := range rs {
		cur := r
		for j < len(other) && other[j].Last < cur.First {
			j++
		}
		k := j
		for k < len(other) && other[k].First <= cur.Last {
			o := other[k]
			if o.First > cur.First {
				out = append(out, Range{cur.First, o.First - 1})
			}
			if o.Last >= cur.Last {
				cur.First = cur.Last + 1 // consumed
				break
			}
			cur.First = o.Last + 1
			k++
		}
		if cur.First <= cur.Last {
			out = append(out, cur)
		}
	}
	return out
}

// Covers reports whether every sequence number of other is in rs.
func (rs Ranges) Covers(other Ranges) bool { return len(other.Subtract(rs)) == 0 }
