package gobench

import "testing"

// BenchmarkFill makes exactly one 64-byte allocation per operation.
func BenchmarkFill(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		sink = Fill(byte(i))
	}
}

// BenchmarkUpper makes no allocation: the input is already upper case.
func BenchmarkUpper(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		_ = Upper("SURGE")
	}
}
