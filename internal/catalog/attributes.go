package catalog

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Attributes are the questions a category asks beside the description
// (Open311 GeoReport v2 service definitions, metadata=true): the number
// of stalls for 占道经营, say. The desk, the phone, the board and Open311
// clients all answer them, and the answers are kept on the case's first
// event.

// Datatype is how an attribute is answered (Open311's datatypes).
type Datatype string

const (
	String      Datatype = "string"          // a line of text
	Number      Datatype = "number"          // a decimal number
	Datetime    Datatype = "datetime"        // a day (2026-11-20) or an instant (RFC 3339)
	Text        Datatype = "text"            // a paragraph
	SingleValue Datatype = "singlevaluelist" // one key of Values
	MultiValue  Datatype = "multivaluelist"  // keys of Values, comma-separated
)

// Datatypes in the order the admin page offers them.
var Datatypes = []Datatype{Number, SingleValue, MultiValue, String, Text, Datetime}

// Value is one choice of a list attribute.
type Value struct {
	Key  string `json:"key"`
	Name string `json:"name"`
}

// Attribute is one question of a category.
type Attribute struct {
	Code     string   `json:"code"`     // the answer's key: stalls
	Question string   `json:"question"` // what is asked: 摊位数
	Datatype Datatype `json:"datatype"`
	Required bool     `json:"required"`
	Help     string   `json:"help,omitempty"`   // how to answer (Open311 datatype_description)
	Values   []Value  `json:"values,omitempty"` // for the list datatypes
	// Min and Max bound a number's answer (the stalls: at least 1).
	Min *float64 `json:"min,omitempty"`
	Max *float64 `json:"max,omitempty"`
}

// Limits of attributes and answers.
const (
	MaxAttributes = 10
	MaxValues     = 30
	MaxString     = 100
	MaxText       = 1000
)

var attrCode = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)

// AttributeError is a definition or an answer refused, naming the field
// (attributes[2].code, attributes.stalls). An answer's refusal says which
// question and why (Kind), for a message in the reader's language.
type AttributeError struct {
	Field string
	Msg   string
	// Of an answer: Missing (a required one left empty), the question's
	// words, and why it is refused: number, range (Min–Max), choice, date,
	// chars (at most Chars characters) or unknown (no such question).
	Missing  bool
	Question string
	Kind     string
	Min, Max *float64
	Chars    int
}

// Params are the refusal's particulars: the question, and the bounds it
// broke.
func (e *AttributeError) Params() map[string]any {
	if e.Question == "" && e.Kind == "" {
		return nil
	}
	p := map[string]any{"question": e.Question}
	if e.Kind != "" {
		p["kind"] = e.Kind
	}
	if e.Min != nil {
		p["min"] = *e.Min
	}
	if e.Max != nil {
		p["max"] = *e.Max
	}
	if e.Chars > 0 {
		p["chars"] = e.Chars
	}
	return p
}

func (e *AttributeError) Error() string { return e.Field + ": " + e.Msg }

// CheckAttributes says what is wrong with a category's questions.
func CheckAttributes(list []Attribute) error {
	if len(list) > MaxAttributes {
		return &AttributeError{Field: "attributes", Msg: fmt.Sprintf("at most %d questions a category", MaxAttributes)}
	}
	seen := map[string]bool{}
	for i := range list {
		a := &list[i]
		at := func(f string) string { return fmt.Sprintf("attributes[%d].%s", i, f) }
		a.Code, a.Question, a.Help = strings.TrimSpace(a.Code), strings.TrimSpace(a.Question), strings.TrimSpace(a.Help)
		switch {
		case !attrCode.MatchString(a.Code):
			return &AttributeError{Field: at("code"), Msg: fmt.Sprintf("%q: lower-case letters, digits and _, starting with a letter, at most 32", a.Code)}
		case seen[a.Code]:
			return &AttributeError{Field: at("code"), Msg: fmt.Sprintf("%q is asked twice", a.Code)}
		case a.Question == "" || utf8.RuneCountInString(a.Question) > 60:
			return &AttributeError{Field: at("question"), Msg: "the question: 1–60 characters"}
		case utf8.RuneCountInString(a.Help) > 200:
			return &AttributeError{Field: at("help"), Msg: "at most 200 characters"}
		case !slices.Contains(Datatypes, a.Datatype):
			return &AttributeError{Field: at("datatype"), Msg: fmt.Sprintf("unknown datatype %q", a.Datatype)}
		}
		seen[a.Code] = true
		list := a.Datatype == SingleValue || a.Datatype == MultiValue
		switch {
		case list && (len(a.Values) == 0 || len(a.Values) > MaxValues):
			return &AttributeError{Field: at("values"), Msg: fmt.Sprintf("a list question has 1–%d choices", MaxValues)}
		case !list && len(a.Values) > 0:
			return &AttributeError{Field: at("values"), Msg: "only list questions have choices"}
		case a.Datatype != Number && (a.Min != nil || a.Max != nil):
			return &AttributeError{Field: at("range"), Msg: "only a number question has a range"}
		case a.Min != nil && a.Max != nil && *a.Min > *a.Max:
			return &AttributeError{Field: at("range"), Msg: "the largest answer is below the smallest"}
		}
		keys := map[string]bool{}
		for j, v := range a.Values {
			v.Key, v.Name = strings.TrimSpace(v.Key), strings.TrimSpace(v.Name)
			a.Values[j] = v
			if v.Key == "" || len(v.Key) > 32 || strings.Contains(v.Key, ",") || keys[v.Key] || v.Name == "" || utf8.RuneCountInString(v.Name) > 40 {
				return &AttributeError{Field: fmt.Sprintf("attributes[%d].values[%d]", i, j), Msg: "each choice has its own key (no comma) and a name of 1–40 characters"}
			}
			keys[v.Key] = true
		}
	}
	return nil
}

// Answer checks answers (code → value as given) against the questions:
// each known, each required one given, each of its datatype. It returns
// the answers kept (trimmed; empty ones dropped; numbers and days in one
// form), nil when there are none.
func Answer(qs []Attribute, in map[string]string) (map[string]string, error) {
	for code := range in {
		if !slices.ContainsFunc(qs, func(a Attribute) bool { return a.Code == code }) {
			return nil, &AttributeError{Field: "attributes." + code, Msg: "this category asks no such question", Kind: "unknown"}
		}
	}
	var out map[string]string
	for _, a := range qs {
		v := strings.TrimSpace(in[a.Code])
		field := "attributes." + a.Code
		if v == "" {
			if a.Required {
				return nil, &AttributeError{Field: field, Msg: fmt.Sprintf("%s: an answer is required", a.Question), Missing: true, Question: a.Question}
			}
			continue
		}
		switch a.Datatype {
		case String, Text:
			most := MaxString
			if a.Datatype == Text {
				most = MaxText
			}
			if utf8.RuneCountInString(v) > most {
				return nil, &AttributeError{Field: field, Msg: fmt.Sprintf("at most %d characters", most), Question: a.Question, Kind: "chars", Chars: most}
			}
		case Number:
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f != f || f > 1e12 || f < -1e12 {
				return nil, &AttributeError{Field: field, Msg: fmt.Sprintf("%q is not a number", v), Question: a.Question, Kind: "number"}
			}
			if (a.Min != nil && f < *a.Min) || (a.Max != nil && f > *a.Max) {
				kind := "range"
				switch {
				case a.Max == nil:
					kind = "min"
				case a.Min == nil:
					kind = "max"
				}
				return nil, &AttributeError{Field: field, Msg: fmt.Sprintf("%s is outside %s", v, bounds(a.Min, a.Max)), Question: a.Question, Kind: kind, Min: a.Min, Max: a.Max}
			}
			v = strconv.FormatFloat(f, 'f', -1, 64)
		case Datetime:
			if _, err := time.Parse(time.DateOnly, v); err != nil {
				if _, err := time.Parse(time.RFC3339, v); err != nil {
					return nil, &AttributeError{Field: field, Msg: fmt.Sprintf("%q is not a day (2026-11-20) or a time with its zone", v), Question: a.Question, Kind: "date"}
				}
			}
		case SingleValue, MultiValue:
			keys := []string{v}
			if a.Datatype == MultiValue {
				keys = strings.Split(v, ",")
			}
			for i, k := range keys {
				keys[i] = strings.TrimSpace(k)
				if !slices.ContainsFunc(a.Values, func(x Value) bool { return x.Key == keys[i] }) {
					return nil, &AttributeError{Field: field, Msg: fmt.Sprintf("%q is not one of the choices", keys[i]), Question: a.Question, Kind: "choice"}
				}
			}
			v = strings.Join(keys, ",")
		}
		if out == nil {
			out = map[string]string{}
		}
		out[a.Code] = v
	}
	return out, nil
}

// bounds writes a number's range for people: 1–50, at least 1, at most 50.
func bounds(lo, hi *float64) string {
	f := func(x *float64) string { return strconv.FormatFloat(*x, 'f', -1, 64) }
	switch {
	case lo != nil && hi != nil:
		return f(lo) + "–" + f(hi)
	case lo != nil:
		return "at least " + f(lo)
	case hi != nil:
		return "at most " + f(hi)
	}
	return "any number"
}

// RangeText is a number question's range as the question's readers see
// it (范围 1–50, 至少 1, 最多 50), or "".
func (a Attribute) RangeText() string {
	f := func(x *float64) string { return strconv.FormatFloat(*x, 'f', -1, 64) }
	switch {
	case a.Min != nil && a.Max != nil:
		return "范围 " + f(a.Min) + "–" + f(a.Max)
	case a.Min != nil:
		return "至少 " + f(a.Min)
	case a.Max != nil:
		return "最多 " + f(a.Max)
	}
	return ""
}
