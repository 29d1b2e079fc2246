// Package alert owns residents' area alerts (订阅 / 区域提醒): an area (a
// street, a community, or a circle drawn on the board's map) and optional
// categories, the rule that says which newly public problems an area
// matches, the bounds a subscription must keep, and the tokens of its
// confirmation and unsubscribe links. It sees cases only as the public
// does (package publish): the street, the community and the coarse public
// point, so an alert can never tell more than the board shows.
package alert

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"math"
	"net/mail"
	"slices"
	"strings"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geo"

	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/publish"
)

// Bounds of a subscription.
const (
	MinRadius     = 100  // metres: smaller circles would only ever hold one public cell
	MaxRadius     = 3000 // metres: a district-wide circle is the board's own feed
	MaxCategories = 20
	MaxEmail      = 254 // RFC 5321's path limit
	// PendingPerDay is how many subscriptions one address may ask for in
	// a day: each sends a confirmation mail, so more would let anyone
	// flood someone else's mailbox.
	PendingPerDay = 5
	// ConfirmWithin is how long a confirmation link works; unconfirmed
	// subscriptions older than this are deleted.
	ConfirmWithin = 7 * 24 * time.Hour
	// Fresh is how long after a case became public an alert is still
	// worth sending: a matching pass that finds older ones (an import of
	// history, a long outage) records them without mailing anyone.
	Fresh = 24 * time.Hour
)

// Languages an alert is written in: the board's two.
var Languages = []string{"zh-CN", "en"}

// Circle is a centre (WGS84 degrees) and a radius in metres.
type Circle struct {
	Lon    float64 `json:"lon"`
	Lat    float64 `json:"lat"`
	Radius float64 `json:"radius"`
}

// Area is one of a street, a community or a circle.
type Area struct {
	Street    string  `json:"street,omitempty"`
	Community string  `json:"community,omitempty"`
	Circle    *Circle `json:"circle,omitempty"`
}

// Kind names the area's kind: street, community or circle.
func (a Area) Kind() string {
	switch {
	case a.Circle != nil:
		return "circle"
	case a.Community != "":
		return "community"
	default:
		return "street"
	}
}

// Case is a case as an alert may see it: what the board lists of it.
type Case struct {
	Number    string
	Category  string
	Street    string
	Community string
	Point     caseflow.Point // the public point (publish.Point), not the reported one
	PublicAt  time.Time      // when it first became public
}

// Subscription is one resident's alert.
type Subscription struct {
	ID          int64
	Email       string
	Area        Area
	Categories  []string // category ids or major classes ("M06"); empty: every public category
	Lang        string   // zh-CN or en: the language of the board the resident subscribed from
	CreatedAt   time.Time
	ConfirmedAt time.Time // zero until the resident follows the confirmation link
}

// Contains reports whether the area holds a case. A circle holds a case
// when it touches the case's public cell: the board shows a case no finer
// than its cell, so a circle drawn around a home hears of everything that
// may be inside it, and no circle, however small, says more.
func (a Area) Contains(c Case) bool {
	switch {
	case a.Circle != nil:
		half := publish.GridDeg / 2
		// The point of the cell nearest the centre.
		near := orb.Point{clamp(a.Circle.Lon, c.Point.Lon-half, c.Point.Lon+half), clamp(a.Circle.Lat, c.Point.Lat-half, c.Point.Lat+half)}
		return geo.Distance(orb.Point{a.Circle.Lon, a.Circle.Lat}, near) <= a.Circle.Radius
	case a.Community != "":
		return c.Community == a.Community
	default:
		return a.Street != "" && c.Street == a.Street
	}
}

func clamp(v, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, v)) }

// Bound is the box around a circle (for an indexed read of its cases),
// widened by half a public cell so every cell the circle touches is in it.
func (c Circle) Bound() orb.Bound {
	dLat := c.Radius/111_320 + publish.GridDeg/2
	dLon := c.Radius/(111_320*math.Cos(c.Lat*math.Pi/180)) + publish.GridDeg/2
	return orb.Bound{Min: orb.Point{c.Lon - dLon, c.Lat - dLat}, Max: orb.Point{c.Lon + dLon, c.Lat + dLat}}
}

// WantsCategory reports whether a category is among those asked for.
func WantsCategory(categories []string, category string) bool {
	return len(categories) == 0 || slices.ContainsFunc(categories, func(c string) bool { return strings.HasPrefix(category, c) })
}

// Matches is the rule: a confirmed subscription hears of a case that
// became public after it was confirmed, in its area, of a category it
// asked for.
func Matches(s Subscription, c Case) bool {
	return !s.ConfirmedAt.IsZero() && !c.PublicAt.Before(s.ConfirmedAt) && s.Area.Contains(c) && WantsCategory(s.Categories, c.Category)
}

// Recipients are the subscriptions a case is mailed to: those it matches,
// one per address — a resident with a street and a circle around their
// home that both hold the case hears of it once (the first subscription).
func Recipients(subs []Subscription, c Case) []int64 {
	var out []int64
	seen := map[string]bool{}
	for _, s := range subs {
		if !seen[s.Email] && Matches(s, c) {
			seen[s.Email] = true
			out = append(out, s.ID)
		}
	}
	return out
}

// Error is a subscription refused, naming the field at fault.
type Error struct {
	Field  string
	Code   string // invalid or required
	Msg    string
	Params map[string]any
}

func (e *Error) Error() string { return "alert: " + e.Msg }

// Places answers what only the city's data knows: whether codes are its
// streets and communities and a point lies inside the district, and which
// categories are public.
type Places interface {
	IsStreet(code string) bool
	IsCommunity(code string) bool
	Inside(lon, lat float64) bool
	PublicCategory(id string) bool
}

// CheckArea says what is wrong with an area, or nil.
func CheckArea(a Area, p Places) error {
	n := 0
	for _, set := range []bool{a.Street != "", a.Community != "", a.Circle != nil} {
		if set {
			n++
		}
	}
	switch {
	case n == 0:
		return &Error{Field: "area", Code: "required", Msg: "choose a street, a community or a circle on the map"}
	case n > 1:
		return &Error{Field: "area", Code: "invalid", Msg: "one area: a street, a community or a circle"}
	case a.Street != "" && !p.IsStreet(a.Street):
		return &Error{Field: "street", Code: "invalid", Msg: "no such street: " + a.Street}
	case a.Community != "" && !p.IsCommunity(a.Community):
		return &Error{Field: "community", Code: "invalid", Msg: "no such community: " + a.Community}
	case a.Circle != nil:
		c := a.Circle
		switch {
		case math.IsNaN(c.Radius) || c.Radius < MinRadius || c.Radius > MaxRadius:
			return &Error{Field: "radius", Code: "invalid", Msg: "the radius is 100 to 3000 metres",
				Params: map[string]any{"min": MinRadius, "max": MaxRadius}}
		case math.IsNaN(c.Lon) || math.IsNaN(c.Lat) || !p.Inside(c.Lon, c.Lat):
			return &Error{Field: "lon", Code: "outside", Msg: "the circle's centre is outside the district"}
		}
	}
	return nil
}

// Check says what is wrong with a subscription being asked for, or nil;
// it normalises the address (lower case, trimmed) and the language.
func Check(s *Subscription, p Places) error {
	s.Email = strings.ToLower(strings.TrimSpace(s.Email))
	if s.Email == "" {
		return &Error{Field: "email", Code: "required", Msg: "an e-mail address to send the alerts to"}
	}
	if a, err := mail.ParseAddress(s.Email); err != nil || a.Address != s.Email || len(s.Email) > MaxEmail || !strings.Contains(s.Email[strings.LastIndex(s.Email, "@")+1:], ".") {
		return &Error{Field: "email", Code: "invalid", Msg: "not an e-mail address"}
	}
	if err := CheckArea(s.Area, p); err != nil {
		return err
	}
	if len(s.Categories) > MaxCategories {
		return &Error{Field: "categories", Code: "invalid", Msg: "at most 20 categories", Params: map[string]any{"max": MaxCategories}}
	}
	seen := map[string]bool{}
	var cats []string
	for _, c := range s.Categories {
		if !p.PublicCategory(c) {
			return &Error{Field: "categories", Code: "invalid", Msg: "not a public category: " + c}
		}
		if !seen[c] {
			seen[c] = true
			cats = append(cats, c)
		}
	}
	slices.Sort(cats)
	s.Categories = cats
	if s.Lang == "" {
		s.Lang = "zh-CN"
	}
	if !slices.Contains(Languages, s.Lang) {
		return &Error{Field: "lang", Code: "invalid", Msg: "the language is zh-CN or en"}
	}
	return nil
}

// NewToken is a random link token (256 bits, URL-safe) and the hash that
// is stored in its place: a copy of the database opens no mailbox's links.
func NewToken() (token, hash string) {
	b := make([]byte, 32)
	rand.Read(b)
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, HashToken(token)
}

// HashToken is the stored form of a token.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
