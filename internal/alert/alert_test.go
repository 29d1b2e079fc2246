package alert

import (
	"strings"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/publish"
)

type fakePlaces struct{}

func (fakePlaces) IsStreet(c string) bool    { return c == "140213053" }
func (fakePlaces) IsCommunity(c string) bool { return c == "140213053001" }
func (fakePlaces) Inside(lon, lat float64) bool {
	return lon > 113.2 && lon < 113.4 && lat > 40.0 && lat < 40.2
}
func (fakePlaces) PublicCategory(id string) bool { return id == "M06011" || id == "M06" }

// Which subscriptions hear of a case: confirmed before it became public,
// in the area (a circle touching its public cell), of a wanted category.
func TestMatches(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)
	// A case at the centre of its public cell; the cell is 0.005° wide
	// (about 425 m east–west, 555 m north–south in Datong).
	c := Case{Category: "M06011", Street: "140213053", Community: "140213053001", Point: publish.Point(caseflow.Point{Lon: 113.3012, Lat: 40.0913}), PublicAt: t0}
	east := func(m float64) float64 { return c.Point.Lon + publish.GridDeg/2 + m/85_200 } // metres east of the cell's edge, in degrees
	for _, tt := range []struct {
		name string
		s    Subscription
		want bool
	}{
		{"the street", Subscription{Area: Area{Street: "140213053"}, ConfirmedAt: t0}, true},
		{"another street", Subscription{Area: Area{Street: "140213054"}, ConfirmedAt: t0}, false},
		{"the community", Subscription{Area: Area{Community: "140213053001"}, ConfirmedAt: t0.Add(-time.Hour)}, true},
		{"unconfirmed", Subscription{Area: Area{Street: "140213053"}}, false},
		{"confirmed after it became public", Subscription{Area: Area{Street: "140213053"}, ConfirmedAt: t0.Add(time.Second)}, false},
		{"its class", Subscription{Area: Area{Street: "140213053"}, Categories: []string{"M06"}, ConfirmedAt: t0}, true},
		{"another category", Subscription{Area: Area{Street: "140213053"}, Categories: []string{"M01001"}, ConfirmedAt: t0}, false},
		{"a circle around it", Subscription{Area: Area{Circle: &Circle{Lon: c.Point.Lon, Lat: c.Point.Lat, Radius: 100}}, ConfirmedAt: t0}, true},
		{"a circle 150 m beyond its cell, 200 m wide", Subscription{Area: Area{Circle: &Circle{Lon: east(150), Lat: c.Point.Lat, Radius: 200}}, ConfirmedAt: t0}, true},
		{"a circle 300 m beyond its cell, 200 m wide", Subscription{Area: Area{Circle: &Circle{Lon: east(300), Lat: c.Point.Lat, Radius: 200}}, ConfirmedAt: t0}, false},
	} {
		if got := Matches(tt.s, c); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

// What a subscription must be, each refusal naming its field.
func TestCheck(t *testing.T) {
	in := func(lon, lat, r float64) Area { return Area{Circle: &Circle{Lon: lon, Lat: lat, Radius: r}} }
	for _, tt := range []struct {
		s     Subscription
		field string
	}{
		{Subscription{Email: " Resident@Example.CN ", Area: Area{Street: "140213053"}, Categories: []string{"M06011", "M06011"}}, ""},
		{Subscription{Area: Area{Street: "140213053"}}, "email"},
		{Subscription{Email: "a@b", Area: Area{Street: "140213053"}}, "email"},
		{Subscription{Email: "名字 <a@b.cn>", Area: Area{Street: "140213053"}}, "email"},
		{Subscription{Email: "a@b.cn"}, "area"},
		{Subscription{Email: "a@b.cn", Area: Area{Street: "140213053", Community: "140213053001"}}, "area"},
		{Subscription{Email: "a@b.cn", Area: Area{Street: "1"}}, "street"},
		{Subscription{Email: "a@b.cn", Area: Area{Community: "1"}}, "community"},
		{Subscription{Email: "a@b.cn", Area: in(113.3, 40.1, 99)}, "radius"},
		{Subscription{Email: "a@b.cn", Area: in(113.3, 40.1, 3001)}, "radius"},
		{Subscription{Email: "a@b.cn", Area: in(116.4, 39.9, 500)}, "lon"},
		{Subscription{Email: "a@b.cn", Area: Area{Street: "140213053"}, Categories: []string{"M01001"}}, "categories"},
		{Subscription{Email: "a@b.cn", Area: Area{Street: "140213053"}, Lang: "fr"}, "lang"},
	} {
		s := tt.s
		err := Check(&s, fakePlaces{})
		var field string
		if e, ok := err.(*Error); ok {
			field = e.Field
		} else if err != nil {
			t.Fatalf("%+v: %v", tt.s, err)
		}
		if field != tt.field {
			t.Errorf("%+v: refused on %q, want %q", tt.s, field, tt.field)
		}
		if tt.field == "" && (s.Email != "resident@example.cn" || len(s.Categories) != 1 || s.Lang != "zh-CN") {
			t.Errorf("not normalised: %+v", s)
		}
	}
}

// Tokens are random, and only their hash is kept.
func TestTokens(t *testing.T) {
	a, ha := NewToken()
	b, hb := NewToken()
	if a == b || ha == hb || len(a) != 43 || HashToken(a) != ha || ha == a {
		t.Errorf("tokens %q %q, hashes %q %q", a, b, ha, hb)
	}
}

// An address hears of a case once, however many of its subscriptions
// hold it.
func TestRecipients(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)
	c := Case{Category: "M06011", Street: "140213053", Community: "140213053001", Point: publish.Point(caseflow.Point{Lon: 113.3012, Lat: 40.0913}), PublicAt: t0}
	subs := []Subscription{
		{ID: 1, Email: "a@example.cn", Area: Area{Street: "140213053"}, ConfirmedAt: t0},
		{ID: 2, Email: "a@example.cn", Area: Area{Circle: &Circle{Lon: c.Point.Lon, Lat: c.Point.Lat, Radius: 500}}, ConfirmedAt: t0},
		{ID: 3, Email: "b@example.cn", Area: Area{Street: "140213054"}, ConfirmedAt: t0},
		{ID: 4, Email: "b@example.cn", Area: Area{Community: "140213053001"}, ConfirmedAt: t0},
		{ID: 5, Email: "c@example.cn", Area: Area{Community: "140213053001"}},
	}
	if got := Recipients(subs, c); len(got) != 2 || got[0] != 1 || got[1] != 4 {
		t.Errorf("recipients %v, want [1 4]", got)
	}
}

// FuzzCheck: whatever a subscription request holds, Check refuses it
// naming a field or accepts it normalised (checking it again changes
// nothing), and never panics.
func FuzzCheck(f *testing.F) {
	f.Add("Resident@Example.cn", "140213053", "", 0.0, 0.0, 0.0, "M06011", "en")
	f.Add("a@b.cn", "", "", 113.3, 40.1, 500.0, "", "")
	f.Add("", "", "140213053001", 0.0, 0.0, 0.0, "M06,M06", "zh-CN")
	f.Fuzz(func(t *testing.T, email, street, community string, lon, lat, radius float64, cats, lang string) {
		s := Subscription{Email: email, Area: Area{Street: street, Community: community}, Lang: lang}
		if radius != 0 {
			s.Area.Circle = &Circle{Lon: lon, Lat: lat, Radius: radius}
		}
		if cats != "" {
			s.Categories = strings.Split(cats, ",")
		}
		err := Check(&s, fakePlaces{})
		if err != nil {
			if e, ok := err.(*Error); !ok || e.Field == "" {
				t.Fatalf("refused without a field: %v", err)
			}
			return
		}
		again := s
		again.Categories = append([]string(nil), s.Categories...)
		if err := Check(&again, fakePlaces{}); err != nil || again.Email != s.Email || len(again.Categories) != len(s.Categories) {
			t.Fatalf("checking an accepted subscription again: %v %+v %+v", err, again, s)
		}
	})
}
