package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/xiuhua/xiuhua/internal/app"
	"github.com/xiuhua/xiuhua/internal/ledger"
	"github.com/xiuhua/xiuhua/internal/sheet"
)

// runEvaluate prints (or publishes, or writes to a spreadsheet) an
// evaluation.
func runEvaluate(ctx context.Context, args []string) error {
	var group, period, out, by string
	var publish, check bool
	c, st, err := parseOpen(ctx, "evaluate", args, func(fs *flag.FlagSet) {
		fs.BoolVar(&check, "check", false, "compare the maintained aggregates with counting the cases, figure by figure")
		fs.StringVar(&group, "group", "street", "department, street, community or worker")
		fs.StringVar(&period, "period", "", "2026-11, 2026-Q4, 2026, 2026-W47 or 2026-11-01..2026-11-15")
		fs.BoolVar(&publish, "publish", false, "freeze the period's figures (once, after it has ended)")
		fs.StringVar(&by, "by", "", "who publishes (for the record)")
		fs.StringVar(&out, "o", "", "write the evaluation to FILE.xlsx or FILE.csv")
	})
	if err != nil {
		return err
	}
	defer st.Close()
	p, err := app.ParsePeriod(period)
	if err != nil {
		return err
	}
	a, err := newApp(ctx, c, st)
	if err != nil {
		return err
	}
	if check {
		return checkAggregates(ctx, a, ledger.Group(group), p)
	}
	var e *app.Evaluation
	if publish {
		e, err = a.Publish(ctx, ledger.Group(group), p, nil, by)
	} else {
		e, err = a.Evaluate(ctx, ledger.Group(group), p, nil)
	}
	if err != nil {
		return err
	}
	if out != "" {
		return writeEvaluation(e, out)
	}
	state := "live"
	if e.Published {
		state = "published " + e.PublishedAt.Format("2006-01-02 15:04")
	}
	fmt.Printf("综合评价 %s %s (as of %s, %s)\n", e.Group, e.Period.Name, e.AsOf.Format("2006-01-02 15:04"), state)
	fmt.Printf("%-4s %-26s %8s %8s %8s %8s %8s\n", "排名", "单位", "得分", "应结案", "结案", "按期结案", "超期未结")
	for _, r := range e.Rows {
		score := "—"
		if r.Score != nil {
			score = fmt.Sprintf("%.2f", *r.Score)
		}
		fmt.Printf("%-4d %-26s %8s %8d %8d %8d %8d\n", r.Rank, r.Name, score, r.Counts["due"], r.Counts["closed"],
			r.Counts["closed_on_time"], r.Counts["overdue_open"])
	}
	return nil
}

// checkAggregates compares the period's figures from the maintained
// aggregates with counting the cases; any difference is an error.
func checkAggregates(ctx context.Context, a *app.App, g ledger.Group, p app.Period) error {
	fast, _, err := a.EvaluationCounts(ctx, g, p, false)
	if err != nil {
		return err
	}
	slow, _, err := a.EvaluationCounts(ctx, g, p, true)
	if err != nil {
		return err
	}
	keys := map[string]bool{}
	for k := range fast {
		keys[k] = true
	}
	for k := range slow {
		keys[k] = true
	}
	var diffs []string
	var n int64
	for k := range keys {
		for _, c := range ledger.Counts {
			if fast[k][c.Key] != slow[k][c.Key] {
				diffs = append(diffs, fmt.Sprintf("%s %s: aggregates %d, cases %d", k, c.Key, fast[k][c.Key], slow[k][c.Key]))
			}
			n += slow[k][c.Key]
		}
	}
	if len(diffs) > 0 {
		slices.Sort(diffs)
		return fmt.Errorf("%s %s: %d figures differ:\n%s", g, p.Name, len(diffs), strings.Join(diffs, "\n"))
	}
	fmt.Printf("%s %s: the aggregates agree with counting the cases (%d members, %d counted)\n", g, p.Name, len(keys), n)
	return nil
}

func writeEvaluation(e *app.Evaluation, out string) error {
	f := sheet.Format(strings.TrimPrefix(strings.ToLower(filepath.Ext(out)), "."))
	if f != sheet.CSV && f != sheet.XLSX {
		return fmt.Errorf("-o %s: the file must end in .xlsx or .csv", out)
	}
	file, err := os.Create(out)
	if err != nil {
		return err
	}
	if err := e.WriteSheet(f, file); err != nil {
		file.Close()
		return err
	}
	if err := file.Close(); err != nil {
		return err
	}
	fmt.Printf("wrote %s (%d rows)\n", out, len(e.Rows))
	return nil
}
