package main

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/xiuhua/xiuhua/internal/app"
	"github.com/xiuhua/xiuhua/internal/routing"
)

const dispatchUsage = `usage:
  xiuhua dispatch list                                         the dispatch table (派单目录)
  xiuhua dispatch add -category C -area A -lead UNIT [-assist U1,U2] [-ownership O] [-note TEXT]
  xiuhua dispatch delete ID
(replace the whole table from a file with: xiuhua import dispatch FILE)`

// runDispatch edits the dispatch table one rule at a time.
func runDispatch(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("%s", dispatchUsage)
	}
	sub := args[0]
	pos, rest := positional(args[1:])
	var r routing.Rule
	var assist string
	_, st, err := parseOpen(ctx, "dispatch "+sub, rest, func(fs *flag.FlagSet) {
		fs.StringVar(&r.Category, "category", "", "category id (M06011), major class (M06) or *")
		fs.StringVar(&r.Area, "area", "*", "street, community or grid code, or *")
		fs.StringVar(&r.Ownership, "ownership", "", "ownership this rule is for (optional)")
		fs.StringVar(&r.Lead, "lead", "", "lead department's unit code")
		fs.StringVar(&assist, "assist", "", "assisting departments' unit codes, comma-separated")
		fs.StringVar(&r.Note, "note", "", "why")
	})
	if err != nil {
		return err
	}
	defer st.Close()
	switch {
	case sub == "list" && len(pos) == 0:
		rules, err := st.DispatchRules(ctx)
		if err != nil {
			return err
		}
		for _, r := range rules {
			fmt.Printf("%s\t%s\n", r, r.Note)
		}
		if len(rules) == 0 {
			fmt.Println("no rules: every case goes to its street office (属地)")
		}
	case sub == "add" && len(pos) == 0:
		if assist != "" {
			r.Assist = strings.Split(assist, ",")
		}
		k, err := app.Known(ctx, st, time.Now())
		if err != nil {
			return err
		}
		err = st.AddDispatchRule(ctx, &r, time.Now(), func(rules []routing.Rule) error {
			_, err := routing.New(rules, k)
			return err
		})
		if err != nil {
			return err
		}
		if err := st.BumpConfig(ctx, app.ConfigRoutes, time.Now()); err != nil {
			return err
		}
		fmt.Printf("added rule %s (running servers apply it within seconds)\n", r)
	case sub == "delete" && len(pos) == 1:
		id, err := strconv.ParseInt(strings.TrimPrefix(pos[0], "#"), 10, 64)
		if err != nil {
			return fmt.Errorf("dispatch delete: %q is not a rule id", pos[0])
		}
		if err := st.DeleteDispatchRule(ctx, id); err != nil {
			return err
		}
		return st.BumpConfig(ctx, app.ConfigRoutes, time.Now())
	default:
		return fmt.Errorf("%s", dispatchUsage)
	}
	return nil
}
