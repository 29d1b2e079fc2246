// Package publish is the one privacy rule for everything the public sees:
// the home page, the public board, follow pages, Open311, feeds and public
// exports. It decides which cases appear, which of their fields, and how
// coarse; the pages render only what it lets through, so a new public page
// cannot show more than the old ones by accident.
//
// The rule:
//   - only categories marked public;
//   - never voided or merged-away reports; a report merged into another
//     as a duplicate answers, by its number only, the number of the case
//     it went into when that one may be followed (MergedInto), so its
//     reporter follows the problem there;
//   - a report nobody has looked at yet (reported, not verified on site)
//     is not listed; by its number — the one the reporter was handed — it
//     answers its state and steps only, with no place and no text;
//   - the description only after a person has verified the case on site
//     (a grid worker's own report counts), and even then with phone
//     numbers, ID numbers, e-mail addresses and house or flat numbers
//     masked; otherwise the category stands for it;
//   - the place no finer than the street and the community, and the point
//     snapped to the centre of a coarse grid cell (GridDeg);
//   - never the reporter's name, phone or account, never the address as
//     typed, never notes, reasons or who acted.
package publish

import (
	"math"
	"regexp"
	"slices"
	"strings"

	"github.com/xiuhua/xiuhua/internal/caseflow"
)

// GridDeg is the public grid: a point is shown as the centre of its cell of
// GridDeg × GridDeg degrees (about 430 × 560 m in Datong), so a marker
// never points at one building.
const GridDeg = 0.005

// Use is how a public page reaches a case.
type Use int

const (
	// List is every list, map, feed and export: the home page, the board,
	// Open311 request lists and update feeds.
	List Use = iota
	// Lookup is a case asked for by its number: the follow page, Open311
	// requests/{id} and tokens/{id}.
	Lookup
)

// Listable are the states a listed case may be in; in the states of
// VerifyFirst it must also have been verified on site. Stores filter
// lists with these two so pages and counts agree with Decide.
var (
	Listable    = []caseflow.State{caseflow.Reported, caseflow.Registered, caseflow.Dispatched, caseflow.InProgress, caseflow.Suspended, caseflow.PendingCheck, caseflow.PendingClose, caseflow.Closed}
	VerifyFirst = []caseflow.State{caseflow.Reported}
)

// View says what of a case a public page may show.
type View struct {
	Show  bool // the case appears at all (number, category, state, times)
	Place bool // its street, community and coarse point
	Text  bool // its description, masked (Text); else the category stands for it
}

// Vetted reports whether a person has looked at the case: verified on site
// or registered by the centre.
func Vetted(c *caseflow.Case) bool {
	return c.Verified || !slices.Contains(VerifyFirst, c.State)
}

// Decide is the rule for one case. categoryPublic is the catalog's public
// flag of the case's category.
func Decide(c *caseflow.Case, categoryPublic bool, use Use) View {
	if !categoryPublic || !slices.Contains(Listable, c.State) || c.DuplicateOf != 0 {
		return View{}
	}
	if !Vetted(c) {
		return View{Show: use == Lookup}
	}
	return View{Show: true, Place: true, Text: c.Verified}
}

// MergedInto says whether a report merged into another (into) may answer,
// by its number, which case it went into: both of public categories, and
// into one the public may follow by its number.
func MergedInto(c *caseflow.Case, categoryPublic bool, into *caseflow.Case, intoPublic bool) bool {
	return c.DuplicateOf != 0 && categoryPublic && into != nil && into.ID == c.DuplicateOf && Decide(into, intoPublic, Lookup).Show
}

// Text is the description a public page may show: empty unless Decide
// allows it, masked always.
func Text(c *caseflow.Case, v View) string {
	if !v.Text {
		return ""
	}
	return Mask(c.Description)
}

// Point is p snapped to the centre of its public grid cell.
func Point(p caseflow.Point) caseflow.Point {
	snap := func(f float64) float64 {
		return math.Round((math.Floor(f/GridDeg)*GridDeg+GridDeg/2)*1e6) / 1e6
	}
	return caseflow.Point{Lon: snap(p.Lon), Lat: snap(p.Lat)}
}

var (
	email = regexp.MustCompile(`[\p{L}\p{N}._%+\-]+@[\p{L}\p{N}\-]+(\.[\p{L}\p{N}\-]+)+`)
	// A run of digits, possibly broken by spaces, dashes, dots or
	// brackets: phones (138 1234 5678, 0352-1234567, +86…), ID numbers
	// (17 digits and a check digit or X), bank cards. Seven digits and more.
	longNumber = regexp.MustCompile(`\+?[0-9][0-9 \-.()（）]{5,}[0-9Xx]`)
	// House, building, unit and flat numbers: 3号楼, 2单元, 501室, 12栋,
	// 7号院, 5层, 3-2-501.
	houseNumber = regexp.MustCompile(`[0-9]+\s*(号楼|号院|号|栋|幢|座|单元|室|户|层|楼)|[0-9]+(-[0-9]+){1,3}`)
	fullWidth   = strings.NewReplacer("０", "0", "１", "1", "２", "2", "３", "3", "４", "4", "５", "5", "６", "6", "７", "7", "８", "8", "９", "9",
		"－", "-", "＠", "@", "．", ".", "　", " ")
)

// Mask hides what identifies a person in free text that is otherwise fit
// to publish: e-mail addresses, numbers of seven digits and more (phones,
// ID numbers), and house and flat numbers. Masked digits become '*', so
// the text keeps its shape.
func Mask(s string) string {
	s = fullWidth.Replace(s)
	s = email.ReplaceAllString(s, "***@***")
	stars := func(m string) string {
		return strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' || r == 'X' || r == 'x' {
				return '*'
			}
			return r
		}, m)
	}
	s = longNumber.ReplaceAllStringFunc(s, func(m string) string {
		n := 0
		for _, r := range m {
			if r >= '0' && r <= '9' {
				n++
			}
		}
		if n < 7 {
			return m
		}
		return stars(m)
	})
	return houseNumber.ReplaceAllStringFunc(s, stars)
}
