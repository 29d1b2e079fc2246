package catalog

import (
	"errors"
	"strings"
	"testing"
)

func stalls() []Attribute {
	return []Attribute{
		{Code: "stalls", Question: "摊位数", Datatype: Number, Required: true},
		{Code: "goods", Question: "经营什么", Datatype: SingleValue, Values: []Value{{"food", "餐饮"}, {"produce", "果蔬"}}},
		{Code: "seen", Question: "哪几天", Datatype: MultiValue, Values: []Value{{"sat", "周六"}, {"sun", "周日"}}},
		{Code: "since", Question: "从哪天起", Datatype: Datetime},
	}
}

func TestQuestionsAreCheckedByField(t *testing.T) {
	if err := CheckAttributes(stalls()); err != nil {
		t.Fatal(err)
	}
	for field, edit := range map[string]func([]Attribute){
		"attributes[0].code":      func(l []Attribute) { l[0].Code = "Stalls!" },
		"attributes[1].code":      func(l []Attribute) { l[1].Code = "stalls" },
		"attributes[0].question":  func(l []Attribute) { l[0].Question = "" },
		"attributes[0].datatype":  func(l []Attribute) { l[0].Datatype = "colour" },
		"attributes[1].values":    func(l []Attribute) { l[1].Values = nil },
		"attributes[0].values":    func(l []Attribute) { l[0].Values = []Value{{"a", "b"}} },
		"attributes[1].values[1]": func(l []Attribute) { l[1].Values[1].Key = "food" },
		"attributes[1].range":     func(l []Attribute) { one := 1.0; l[1].Min = &one },
		"attributes[0].range":     func(l []Attribute) { one, zero := 1.0, 0.0; l[0].Min, l[0].Max = &one, &zero },
	} {
		l := stalls()
		edit(l)
		var ae *AttributeError
		if err := CheckAttributes(l); !errors.As(err, &ae) || ae.Field != field {
			t.Errorf("want %s, got %v", field, err)
		}
	}
}

func TestAnswersAreCheckedAndKept(t *testing.T) {
	got, err := Answer(stalls(), map[string]string{"stalls": " 3.0 ", "goods": "food", "seen": "sat, sun", "since": "2026-11-20"})
	if err != nil || got["stalls"] != "3" || got["goods"] != "food" || got["seen"] != "sat,sun" || got["since"] != "2026-11-20" {
		t.Fatalf("%v %v", got, err)
	}
	for _, c := range []struct {
		in    map[string]string
		field string
	}{
		{map[string]string{}, "attributes.stalls"},
		{map[string]string{"stalls": "many"}, "attributes.stalls"},
		{map[string]string{"stalls": "2", "goods": "cars"}, "attributes.goods"},
		{map[string]string{"stalls": "2", "seen": "sat,mon"}, "attributes.seen"},
		{map[string]string{"stalls": "2", "since": "last week"}, "attributes.since"},
		{map[string]string{"stalls": "2", "colour": "red"}, "attributes.colour"},
	} {
		var ae *AttributeError
		if _, err := Answer(stalls(), c.in); !errors.As(err, &ae) || ae.Field != c.field {
			t.Errorf("%v: want %s, got %v", c.in, c.field, err)
		}
	}
	if got, err := Answer(nil, nil); got != nil || err != nil {
		t.Errorf("no questions, no answers: %v %v", got, err)
	}
	if _, err := Answer([]Attribute{{Code: "note", Question: "补充", Datatype: String}}, map[string]string{"note": strings.Repeat("长", MaxString+1)}); err == nil {
		t.Error("a long answer is refused")
	}
}

// A number question's range: an answer outside it is refused naming the
// question and its bounds, for a message in the reader's language.
func TestAnswersInTheirRange(t *testing.T) {
	one, fifty := 1.0, 50.0
	qs := stalls()
	qs[0].Min, qs[0].Max = &one, &fifty
	if err := CheckAttributes(qs); err != nil {
		t.Fatal(err)
	}
	for v, kind := range map[string]string{"0": "range", "51": "range", "三": "number"} {
		var ae *AttributeError
		_, err := Answer(qs, map[string]string{"stalls": v})
		if !errors.As(err, &ae) || ae.Field != "attributes.stalls" || ae.Kind != kind || ae.Params()["question"] != "摊位数" {
			t.Errorf("%s: want a %s refusal of 摊位数, got %+v", v, kind, err)
		}
		if kind == "range" && (ae.Params()["min"] != 1.0 || ae.Params()["max"] != 50.0) {
			t.Errorf("%s: the bounds %v", v, ae.Params())
		}
	}
	if got, err := Answer(qs, map[string]string{"stalls": "50"}); err != nil || got["stalls"] != "50" {
		t.Errorf("the top of the range: %v %v", got, err)
	}
	qs[0].Max = nil
	if _, err := Answer(qs, map[string]string{"stalls": "0"}); err == nil || qs[0].RangeText() != "至少 1" {
		t.Errorf("at least 1: %v, %q", err, qs[0].RangeText())
	}
	var ae *AttributeError
	if _, err := Answer(qs, map[string]string{}); !errors.As(err, &ae) || !ae.Missing {
		t.Errorf("a required answer left out: %v", err)
	}
}
