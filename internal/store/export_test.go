package store

import "context"

// PanicInWriteForTest runs a write transaction that panics.
func (s *Store) PanicInWriteForTest() error {
	return s.tx(context.Background(), func(*wtx) error { panic("boom") })
}
