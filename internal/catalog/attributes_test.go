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
