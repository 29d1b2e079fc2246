package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/org"
)

const adminUsage = "usage: xiuhua admin create -username NAME [-name 姓名] [-role admin] [-unit CODE] | xiuhua admin password -username NAME   (password from $XIUHUA_PASSWORD or stdin)"

// newPassword reads a new password for username from $XIUHUA_PASSWORD or
// stdin and checks it against the password rules.
func newPassword(username string) (string, error) {
	password := os.Getenv("XIUHUA_PASSWORD")
	if password == "" {
		fmt.Fprint(os.Stderr, "password: ")
		line, _ := bufio.NewReader(os.Stdin).ReadString('\n')
		password = strings.TrimSpace(line)
	}
	if err := org.CheckNewPassword(username, password); err != nil {
		return "", fmt.Errorf("password: %w", err)
	}
	return password, nil
}

// runAdmin creates the first administrator (or any staff account), or
// sets an account's password.
func runAdmin(ctx context.Context, args []string) error {
	if len(args) > 0 && args[0] == "password" {
		return runSetPassword(ctx, args[1:])
	}
	if len(args) == 0 || args[0] != "create" {
		return errors.New(adminUsage)
	}
	var username, name, role, unit string
	c, st, err := parseOpen(ctx, "admin create", args[1:], func(fs *flag.FlagSet) {
		fs.StringVar(&username, "username", "", "login name")
		fs.StringVar(&name, "name", "", "display name")
		fs.StringVar(&role, "role", "admin", "role: admin, dispatcher, operator, handler, grid_worker, leader")
		fs.StringVar(&unit, "unit", "", "unit code (default: the first command centre, created if there is none)")
	})
	if err != nil {
		return err
	}
	_ = c
	defer st.Close()
	if username == "" {
		return fmt.Errorf("admin create: -username is required")
	}
	if !caseflow.Role(role).Valid() {
		return fmt.Errorf("admin create: unknown role %q", role)
	}
	password, err := newPassword(username)
	if err != nil {
		return fmt.Errorf("admin create: %w", err)
	}
	hash, err := org.HashPassword(password)
	if err != nil {
		return err
	}
	units, err := st.Units(ctx)
	if err != nil {
		return err
	}
	var unitID int64
	for _, u := range units {
		if (unit != "" && u.Code == unit) || (unit == "" && unitID == 0 && u.Kind == org.KindCentre) {
			unitID = u.ID
		}
	}
	if unitID == 0 && unit != "" {
		return fmt.Errorf("admin create: unknown unit %q", unit)
	}
	if unitID == 0 {
		u := org.Unit{Code: "zhzx", Name: "城市管理指挥中心", Kind: org.KindCentre}
		if err := st.CreateUnit(ctx, &u); err != nil {
			return err
		}
		unitID = u.ID
	}
	if name == "" {
		name = username
	}
	a := org.Account{Username: username, Name: name, Role: caseflow.Role(role), UnitID: unitID, PasswordHash: hash, Active: true}
	if err := st.CreateAccount(ctx, &a); err != nil {
		return fmt.Errorf("admin create: %w", err)
	}
	fmt.Printf("created %s (%s), account %d\n", username, role, a.ID)
	return nil
}

// runSetPassword gives an account a new password (a reset, say when the
// last administrator forgot theirs): every session of the account ends and
// its API tokens are revoked.
func runSetPassword(ctx context.Context, args []string) error {
	var username string
	c, st, err := parseOpen(ctx, "admin password", args, func(fs *flag.FlagSet) {
		fs.StringVar(&username, "username", "", "login name")
	})
	if err != nil {
		return err
	}
	defer st.Close()
	if username == "" {
		return fmt.Errorf("admin password: -username is required")
	}
	before, err := st.AccountByUsername(ctx, username)
	if err == nil {
		before, err = st.AccountByID(ctx, before.ID) // with its grids
	}
	if err != nil {
		return fmt.Errorf("admin password: %w", err)
	}
	password, err := newPassword(username)
	if err != nil {
		return fmt.Errorf("admin password: %w", err)
	}
	after := *before
	if after.PasswordHash, err = org.HashPassword(password); err != nil {
		return err
	}
	a, err := newApp(ctx, c, st)
	if err != nil {
		return err
	}
	if err := a.UpdateAccount(ctx, before, &after, ""); err != nil {
		return fmt.Errorf("admin password: %w", err)
	}
	_ = st.Audit(ctx, time.Now(), "", 0, "account_updated", "cli", username+": password set from the command line")
	fmt.Printf("new password for %s; its sessions ended and its API tokens revoked\n", username)
	return nil
}

// runToken issues and revokes API tokens, and lists the audit log.
func runToken(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: xiuhua token create -user NAME -name LABEL [-scope screen|alarms [-hmac-secret S]] | xiuhua token revoke ID")
	}
	sub := args[0]
	pos, rest := positional(args[1:])
	var user, label, scope, secret string
	c, st, err := parseOpen(ctx, "token "+sub, rest, func(fs *flag.FlagSet) {
		fs.StringVar(&user, "user", "", "the account the token acts as")
		fs.StringVar(&label, "name", "", "what the token is for, e.g. 12345 平台")
		fs.StringVar(&scope, "scope", "", "screen: the token reads only the command display (/screen?token=…); alarms: it only pushes alarms (POST /api/v1/alarms)")
		fs.StringVar(&secret, "hmac-secret", "", "with -scope alarms: a secret each push must be signed with (HMAC-SHA256, X-Xiuhua-Signature)")
	})
	if err != nil {
		return err
	}
	defer st.Close()
	a, err := newApp(ctx, c, st)
	if err != nil {
		return err
	}
	switch {
	case sub == "create" && user != "":
		token, id, err := a.CreateScopedToken(ctx, user, label, scope)
		if err != nil {
			return err
		}
		if secret != "" {
			if err := st.SetTokenSecret(ctx, id, secret); err != nil {
				return err
			}
		}
		fmt.Printf("token %d for %s (shown once; only its hash is kept):\n%s\n", id, user, token)
	case sub == "revoke" && len(pos) == 1:
		id, err := strconv.ParseInt(pos[0], 10, 64)
		if err != nil {
			return fmt.Errorf("token revoke: %q is not a token id", pos[0])
		}
		return st.RevokeToken(ctx, id, time.Now())
	default:
		return fmt.Errorf("usage: xiuhua token create -user NAME -name LABEL [-scope screen|alarms [-hmac-secret S]] | xiuhua token revoke ID")
	}
	return nil
}
