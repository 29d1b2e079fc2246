package catalog

import (
	"bytes"
	"testing"

	"github.com/xiuhua/xiuhua/internal/refdata"
)

// The catalog reader never panics, and accepted ids are unique and well formed.
func FuzzParse(f *testing.F) {
	f.Add(refdata.Catalog())
	f.Add([]byte("code,kind,major_class,name\n06001,matter,市容环境类,私搭乱建\n"))
	f.Add([]byte("code,kind,major_class,name\n06001,matter,市容环境类\n\"x"))
	f.Fuzz(func(t *testing.T, b []byte) {
		cs, err := Parse(bytes.NewReader(b))
		if err != nil {
			return
		}
		ids := map[string]bool{}
		for _, c := range cs {
			if ids[c.ID] || len(c.ID) != 6 || c.Name == "" {
				t.Fatalf("accepted %+v", c)
			}
			ids[c.ID] = true
		}
	})
}
