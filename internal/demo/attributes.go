package demo

import (
	"context"

	"github.com/xiuhua/xiuhua/internal/catalog"
	"github.com/xiuhua/xiuhua/internal/store"
)

// questions are the demo's category questions (Open311 attributes): what
// the execution team asks before it goes out.
var questions = map[string][]catalog.Attribute{
	"M09006": { // 占道经营
		{Code: "stalls", Question: "摊位数", Datatype: catalog.Number, Help: "大约几个摊位", Min: ptr(1.0), Max: ptr(200.0)},
		{Code: "goods", Question: "经营什么", Datatype: catalog.SingleValue, Values: []catalog.Value{
			{Key: "food", Name: "餐饮小吃"}, {Key: "produce", Name: "水果蔬菜"}, {Key: "goods", Name: "日用杂货"}, {Key: "other", Name: "其他"}}},
	},
	"M06011": { // 积存垃圾渣土
		{Code: "amount", Question: "大约多少", Datatype: catalog.SingleValue, Values: []catalog.Value{
			{Key: "bag", Name: "几袋以内"}, {Key: "cart", Name: "一车以内"}, {Key: "truck", Name: "需要多车"}}},
	},
}

func ptr(f float64) *float64 { return &f }

func saveQuestions(ctx context.Context, st *store.Store) error {
	for id, qs := range questions {
		if err := catalog.CheckAttributes(qs); err != nil {
			return err
		}
		if err := st.SetCategoryAttributes(ctx, id, qs); err != nil {
			return err
		}
	}
	return nil
}
