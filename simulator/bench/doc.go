// Package bench measures Xiuhua against its goals and prints one table,
// each figure beside its limit or a peer measured in the same run (the
// machines are shared and noisy, so absolute numbers alone mean little).
// `xiuhua-sim bench` runs it; `make bench` calls that.
//
// The output format is stable: one row per measure with the columns
// measure, value, unit, peer or limit, ratio, goal, verdict.
//
// Rule evaluation (rules.go) judges readings under five rules of a river
// gauge's plan (threshold with hysteresis, 15-minute mean, day mean,
// 30-minute rate, stuck) over 10,000 streams on one goroutine, as the
// collector does. Its goal is the collector's ingest goal, 100,000
// readings/s: the rules judge every reading stored, so on one core they
// must keep up with it, 500,000 rule evaluations/s. The limit on the
// rule state per stream follows from the same goal: a collector at
// 100,000 readings/s, with streams sampled every 5–10 s as the example
// agent configs sample them, carries 500,000 to 1,000,000 streams (a city
// spreads more over a group of collectors). 1,000,000 streams at 4 KiB
// each are 4 GiB of live heap, some 8 GiB of process with Go's default
// GC headroom (GOGC=100): half of a 16 GiB collector node, the rest left
// to the store's page cache and ingest. Hence 4 KiB per stream under the
// five rules. Three million streams on one node (a million devices of
// three streams each) would need 2 KiB.
package bench
