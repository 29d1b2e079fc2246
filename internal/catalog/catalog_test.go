package catalog

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/xiuhua/xiuhua/internal/places"
	"github.com/xiuhua/xiuhua/internal/refdata"
)

func TestNationalCatalog(t *testing.T) {
	cs, err := Parse(bytes.NewReader(refdata.Catalog()))
	if err != nil {
		t.Fatal(err)
	}
	n := map[Kind]int{}
	byID := map[string]Category{}
	for _, c := range cs {
		n[c.Kind]++
		byID[c.ID] = c
	}
	if n[Component] != 153 || n[Matter] != 250 {
		t.Fatalf("%d components, %d matters", n[Component], n[Matter])
	}
	// Codes are sparse and never renumbered: 01016 is absent, 01017 present.
	if _, ok := byID["C01016"]; ok {
		t.Error("C01016 should not exist")
	}
	if byID["C01017"].Name != "电缆井盖" {
		t.Errorf("C01017 = %+v", byID["C01017"])
	}
	for _, s := range SeedTypes {
		if _, ok := byID[s.Category]; !ok {
			t.Errorf("seed type %s maps to missing %s", s.Name, s.Category)
		}
	}
	if len(SeedTypes) != 9 {
		t.Errorf("%d seed types", len(SeedTypes))
	}
}

func TestBadRowsNameTheirLine(t *testing.T) {
	in := "code,kind,major_class,name\n06001,matter,市容环境类,私搭乱建\n6002,matter,市容环境类,x\n06003,thing,市容环境类,y\n06001,matter,市容环境类,重复\n"
	_, err := Parse(strings.NewReader(in))
	var ie places.ImportErrors
	if !errors.As(err, &ie) || len(ie) != 3 || ie[0].Line != 3 || ie[1].Line != 4 || ie[2].Line != 5 {
		t.Fatalf("got %v", err)
	}
}
