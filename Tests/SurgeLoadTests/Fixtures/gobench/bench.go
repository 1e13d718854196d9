// Package gobench is a tiny package whose benchmarks Surge's `command` workload runs in tests and
// in Scenarios/go-bench.yaml.
package gobench

import "strings"

var sink []byte

// Fill allocates one 64-byte buffer per call and fills it.
func Fill(b byte) []byte {
	buf := make([]byte, 64)
	for i := range buf {
		buf[i] = b
	}
	return buf
}

// Upper upper-cases a short string without allocating when it is already upper case.
func Upper(s string) string { return strings.ToUpper(s) }
