package app_test

import (
	"context"
	"errors"
	"maps"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/app"
	"github.com/xiuhua/xiuhua/internal/calendar"
	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/catalog"
	"github.com/xiuhua/xiuhua/internal/ledger"
	"github.com/xiuhua/xiuhua/internal/places"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// stallQuestions asks 非法占绿毁绿 (M06045) how many stalls and since when.
func stallQuestions(t *testing.T, st *store.Store) {
	t.Helper()
	one, fifty := 1.0, 50.0
	if err := st.SetCategoryAttributes(context.Background(), "M06045", []catalog.Attribute{
		{Code: "stalls", Question: "摊位数", Datatype: catalog.Number, Required: true, Min: &one, Max: &fifty},
		{Code: "since", Question: "持续多久", Datatype: catalog.SingleValue, Values: []catalog.Value{{Key: "week", Name: "一周内"}, {Key: "long", Name: "一周以上"}}},
	}); err != nil {
		t.Fatal(err)
	}
}

const hotlineHeader = "工单编号,问题类别,问题描述,经度,纬度,上报时间,结案时间,来源,诉求类型,紧急程度,来电人,来电号码,是否匿名,是否同意回访," +
	"事发时间,涉及人员,事由,办理方式,受理说明,合并至,答复内容,是否解决,未解决原因,满意度,回访时间,attr:stalls,持续多久\n"

// A district's 12345 export: each column mapped by its Chinese header,
// values in Chinese or by code name; each order's history is the loop's
// own, the caller kept for staff only, the answers to the category's
// questions on the first event.
func TestImportLedgerHotlineOrders(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) { importHotlineOrders(t, importAppOn(t, st), st) })
}

func importHotlineOrders(t *testing.T, a *app.App, st *store.Store) {
	ctx := context.Background()
	stallQuestions(t, st)
	file := hotlineHeader +
		// answered at the desk, called back: 满意
		"H-1,M06011,咨询垃圾清运时间,113.35,40.05,2026-01-05 09:30,2026-01-05 09:40,12345,咨询,一般,张女士,139 1234 5678,否,是,,,清运时间,直接答复,,,每天早七点和晚六点清运,,,满意,2026-01-06 10:00,,\n" +
		// passed on, closed with the department's answer (not solved), 不满意
		"H-2,M06045,路边绿地被占用摆摊,113.36,40.06,2026-01-07 08:15,2026-01-09 17:00,热线,complaint,紧急,李先生,0352-1234567,,,每天清晨,三个菜摊,占绿摆摊,派遣,,,已劝离摊贩，绿地待补种,否,需来年春季补种,不满意,,3,一周以上\n" +
		// transferred to 110
		"H-3,M06011,楼下有人打架,113.35,40.05,2026-01-08 22:00,,12345,求助,特急,王先生,13800000000,,否,,,,转办,涉及治安，已转 110,,,,,,,,\n" +
		// not accepted; an anonymous caller keeps no name
		"H-4,M06011,邻居装修纠纷,113.35,40.05,2026-01-08 10:00,,,投诉,,赵先生,13700000000,是,,,,,不予受理,属民事纠纷，建议人民调解,,,,,,,,\n" +
		// merged into H-2
		"H-5,M06045,同一处绿地摆摊,113.36,40.06,2026-01-08 07:00,,12345,tip,,,13600000000,,,,,,合并,,H-2,,,,,,2,\n" +
		// a grid worker's report, still open, its answers by the question's text
		"H-6,M06045,绿地摆摊,113.36,40.06,2026-01-10 09:00,,网格员上报,,,,,,,,,,,,,,,,,,4,week\n"
	res, err := a.ImportLedger(ctx, "12345.csv", strings.NewReader(file), nil, true)
	if err != nil || res.Imported != 6 {
		t.Fatalf("import: %+v %v", res, err)
	}
	get := func(n string) (*caseflow.Case, []caseflow.Event) {
		t.Helper()
		c, err := st.CaseByNumber(ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		evs, _ := st.Events(ctx, c.ID)
		return c, evs
	}
	c, evs := get("H-1")
	if c.Channel != caseflow.ChannelHotline || c.State != caseflow.Closed || c.CloseType != caseflow.CloseAnswered || !c.RegisteredAt.IsZero() ||
		c.Reporter.Name != "张女士" || c.Reporter.Phone != "13912345678" || c.Rating != caseflow.RatingSatisfied || !c.CallbackDue.IsZero() {
		t.Errorf("answered at the desk: %+v", c)
	}
	if in := evs[0].Data.Intake; in == nil || in.Type != caseflow.Enquiry || in.NoCallback || in.Elements == nil || in.Elements.Matter != "清运时间" {
		t.Errorf("the intake: %+v", evs[0].Data.Intake)
	}
	if len(evs) != 3 || evs[1].Action != caseflow.ActAnswer || evs[1].Data.Note != "每天早七点和晚六点清运" ||
		evs[2].Action != caseflow.ActCallback || evs[2].At.Format("2006-01-02 15:04") != "2026-01-06 02:00" {
		t.Errorf("the desk's history: %+v", evs)
	}
	c, evs = get("H-2")
	if c.Urgency != caseflow.Urgent || c.State != caseflow.Closed || c.Rating != caseflow.RatingDissatisfied || c.Review != caseflow.ReviewPending || c.AnsweredAt.IsZero() {
		t.Errorf("a dispatched order: %+v", c)
	}
	if e := evs[0].Data; e.Attributes["stalls"] != "3" || e.Attributes["since"] != "long" || e.Intake.Elements.Who != "三个菜摊" || e.Intake.Type != caseflow.Complaint {
		t.Errorf("its first event: %+v %+v", e, e.Intake)
	}
	if ans := evs[2].Data.Answer; evs[2].Action != caseflow.ActClose || ans == nil || ans.Solved || ans.Reply != "已劝离摊贩，绿地待补种" || evs[2].Reason != "需来年春季补种" {
		t.Errorf("the department's answer on the close: %+v", evs[2])
	}
	c, evs = get("H-3")
	if c.Urgency != caseflow.Immediate || c.CloseType != caseflow.CloseTransferred || evs[1].Reason != "涉及治安，已转 110" || !evs[0].Data.Intake.NoCallback {
		t.Errorf("transferred: %+v %+v", c, evs)
	}
	c, evs = get("H-4")
	if c.State != caseflow.Voided || evs[1].Action != caseflow.ActDecline || c.Reporter.Name != "" || c.Reporter.Phone != "13700000000" || !evs[0].Data.Intake.Anonymous {
		t.Errorf("not accepted, anonymous: %+v %+v", c, evs)
	}
	parent, _ := get("H-2")
	if c, _ = get("H-5"); c.State != caseflow.Voided || c.DuplicateOf != parent.ID {
		t.Errorf("merged: %+v", c)
	}
	c, evs = get("H-6")
	if c.Channel != caseflow.ChannelPatrol || c.State != caseflow.Registered || evs[0].Data.Intake != nil || evs[0].Data.Attributes["since"] != "week" {
		t.Errorf("a patrol report: %+v %+v", c, evs[0].Data)
	}
	// The street's figures kept as the orders went in are those counted
	// again from the cases.
	q := store.EvalQuery{Group: ledger.ByStreet, From: time.Date(2026, 1, 1, 0, 0, 0, 0, calendar.Shanghai), To: time.Date(2026, 2, 1, 0, 0, 0, 0, calendar.Shanghai)}
	q.AsOf, q.Cutoff = q.To, q.To
	kept, err := st.EvaluationCounts(ctx, q, a.Policy)
	q.Recount = true
	counted, err2 := st.EvaluationCounts(ctx, q, a.Policy)
	for _, m := range []map[string]map[string]int64{kept, counted} {
		for _, counts := range m {
			maps.DeleteFunc(counts, func(_ string, n int64) bool { return n == 0 })
		}
	}
	if err != nil || err2 != nil || !reflect.DeepEqual(kept, counted) {
		t.Errorf("kept %v, counted %v (%v %v)", kept, counted, err, err2)
	}
	// Two callbacks (H-1 at the desk, H-2 after its department), one
	// satisfied: a 50 % satisfaction rate.
	if street := counted["140213053"]; street["callbacks"] != 2 || street["satisfied"] != 1 || street["registered"] != 2 {
		t.Errorf("the street's hotline figures: %v", street)
	}
}

// Bad values of the 12345 columns: each named by line, column and field,
// and nothing is imported.
func TestImportLedgerRefusesBadOrders(t *testing.T) {
	ctx := context.Background()
	a, st := importApp(t)
	stallQuestions(t, st)
	row := func(cells map[int]string) string {
		base := []string{"B-1", "M06045", "绿地摆摊", "113.36", "40.06", "2026-01-07 08:15", "2026-01-09 17:00", "12345", "投诉", "", "", "13912345678", "", "", "", "", "", "", "", "", "", "", "", "", "", "", ""}
		for i, v := range cells {
			base[i] = v
		}
		return strings.Join(base, ",") + "\n"
	}
	for _, tt := range []struct {
		name   string
		cells  map[int]string
		column string
		field  string
	}{
		{"an unknown type", map[int]string{8: "闲聊"}, "诉求类型", "request_type"},
		{"no type for a caller", map[int]string{8: ""}, "诉求类型", "request_type"},
		{"a phone that is not one", map[int]string{11: "12345"}, "来电号码", "caller.phone"},
		{"a callback without a phone", map[int]string{11: "", 13: "是"}, "来电号码", "caller.phone"},
		{"an unknown urgency", map[int]string{9: "很急"}, "紧急程度", "urgency"},
		{"an unknown channel", map[int]string{7: "微博"}, "来源", "channel"},
		{"yes or no", map[int]string{12: "也许"}, "是否匿名", "caller.anonymous"},
		{"a long element", map[int]string{16: strings.Repeat("吵", 101)}, "事由", "elements.matter"},
		{"an unknown outcome", map[int]string{17: "搁置"}, "办理方式", "outcome"},
		{"answered without the answer", map[int]string{17: "直接答复"}, "答复内容", "reply"},
		{"transferred without where", map[int]string{17: "转办"}, "受理说明", "outcome_note"},
		{"merged into nothing", map[int]string{17: "合并", 19: "X-9"}, "合并至", "duplicate_of"},
		{"a desk outcome of a patrol report", map[int]string{7: "网格员上报", 8: "", 11: "", 17: "转办", 18: "转 110"}, "办理方式", "outcome"},
		{"an answer on an open order", map[int]string{6: "", 20: "已处理"}, "结案时间", "closed_at"},
		{"an unknown rating", map[int]string{23: "还行"}, "满意度", "rating"},
		{"a rating of a transferred call", map[int]string{17: "转办", 18: "转 110", 23: "满意"}, "满意度", "rating"},
		{"a callback before the answer", map[int]string{23: "满意", 24: "2026-01-08 10:00"}, "回访时间", "callback_at"},
		{"stalls not a number", map[int]string{25: "三个"}, "attr:stalls", "attributes.stalls"},
		{"stalls out of range", map[int]string{25: "0"}, "attr:stalls", "attributes.stalls"},
		{"an answer outside the choices", map[int]string{26: "一年"}, "持续多久", "attributes.since"},
		{"an answer the category does not ask", map[int]string{1: "M06011", 25: "3"}, "attr:stalls", "attributes.stalls"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			file := hotlineHeader + row(map[int]string{0: "B-0"}) + row(tt.cells)
			_, err := a.ImportLedger(ctx, "bad.csv", strings.NewReader(file), nil, true)
			var ie places.ImportErrors
			if !errors.As(err, &ie) || len(ie) != 1 || ie[0].Line != 3 || ie[0].Column != tt.column || ie[0].Field != tt.field || ie[0].Code == "" {
				t.Fatalf("want line 3, column %s, field %s; got %v", tt.column, tt.field, err)
			}
		})
	}
	if _, err := a.ImportLedger(ctx, "bad.csv", strings.NewReader("编号,类别,描述,经度,纬度,上报时间,attr:colour\n"), nil, true); err == nil ||
		!strings.Contains(err.Error(), "line 1, column attr:colour") {
		t.Fatalf("a column for a question nobody asks: %v", err)
	}
	if n, _ := st.CountCases(ctx); len(n) != 0 {
		t.Fatalf("a refused import wrote cases: %v", n)
	}
}
