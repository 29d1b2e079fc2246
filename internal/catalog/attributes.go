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
// (attributes[2].code, attributes.stalls).
type AttributeError struct {
	Field string
	Msg   string
}

func (e *AttributeError) Error() string { return e.Field + ": " + e.Msg }

// CheckAttributes says what is wrong with a category's questions.
func CheckAttributes(list []Attribute) error {
	if len(list) > MaxAttributes {
		return &AttributeError{"attributes", fmt.Sprintf("at most %d questions a category", MaxAttributes)}
	}
	seen := map[string]bool{}
	for i := range list {
		a := &list[i]
		at := func(f string) string { return fmt.Sprintf("attributes[%d].%s", i, f) }
		a.Code, a.Question, a.Help = strings.TrimSpace(a.Code), strings.TrimSpace(a.Question), strings.TrimSpace(a.Help)
		switch {
		case !attrCode.MatchString(a.Code):
			return &AttributeError{at("code"), fmt.Sprintf("%q: lower-case letters, digits and _, starting with a letter, at most 32", a.Code)}
		case seen[a.Code]:
			return &AttributeError{at("code"), fmt.Sprintf("%q is asked twice", a.Code)}
		case a.Question == "" || utf8.RuneCountInString(a.Question) > 60:
			return &AttributeError{at("question"), "the question: 1–60 characters"}
		case utf8.RuneCountInString(a.Help) > 200:
			return &AttributeError{at("help"), "at most 200 characters"}
		case !slices.Contains(Datatypes, a.Datatype):
			return &AttributeError{at("datatype"), fmt.Sprintf("unknown datatype %q", a.Datatype)}
		}
		seen[a.Code] = true
		list := a.Datatype == SingleValue || a.Datatype == MultiValue
		switch {
		case list && (len(a.Values) == 0 || len(a.Values) > MaxValues):
			return &AttributeError{at("values"), fmt.Sprintf("a list question has 1–%d choices", MaxValues)}
		case !list && len(a.Values) > 0:
			return &AttributeError{at("values"), "only list questions have choices"}
		}
		keys := map[string]bool{}
		for j, v := range a.Values {
			v.Key, v.Name = strings.TrimSpace(v.Key), strings.TrimSpace(v.Name)
			a.Values[j] = v
			if v.Key == "" || len(v.Key) > 32 || strings.Contains(v.Key, ",") || keys[v.Key] || v.Name == "" || utf8.RuneCountInString(v.Name) > 40 {
				return &AttributeError{fmt.Sprintf("attributes[%d].values[%d]", i, j), "each choice has its own key (no comma) and a name of 1–40 characters"}
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
			return nil, &AttributeError{"attributes." + code, "this category asks no such question"}
		}
	}
	var out map[string]string
	for _, a := range qs {
		v := strings.TrimSpace(in[a.Code])
		field := "attributes." + a.Code
		if v == "" {
			if a.Required {
				return nil, &AttributeError{field, fmt.Sprintf("%s: an answer is required", a.Question)}
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
				return nil, &AttributeError{field, fmt.Sprintf("at most %d characters", most)}
			}
		case Number:
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f != f || f > 1e12 || f < -1e12 {
				return nil, &AttributeError{field, fmt.Sprintf("%q is not a number", v)}
			}
			v = strconv.FormatFloat(f, 'f', -1, 64)
		case Datetime:
			if _, err := time.Parse(time.DateOnly, v); err != nil {
				if _, err := time.Parse(time.RFC3339, v); err != nil {
					return nil, &AttributeError{field, fmt.Sprintf("%q is not a day (2026-11-20) or a time with its zone", v)}
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
					return nil, &AttributeError{field, fmt.Sprintf("%q is not one of the choices", keys[i])}
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
