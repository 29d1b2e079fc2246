package store

import "context"

// PanicInWriteForTest runs a write transaction that panics.
func (s *Store) PanicInWriteForTest() error {
	return s.tx(context.Background(), func(*wtx) error { panic("boom") })
}

// PreparedReadsForTest is how many read statements are kept prepared.
func (s *Store) PreparedReadsForTest() int {
	s.stmtMu.Lock()
	defer s.stmtMu.Unlock()
	return len(s.rst)
}
