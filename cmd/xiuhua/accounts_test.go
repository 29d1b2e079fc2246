package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/org"
	"github.com/xiuhua/xiuhua/internal/store"
)

// withPassword runs the binary with XIUHUA_PASSWORD set.
func withPassword(bin, password string, args ...string) (string, error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "XIUHUA_PASSWORD="+password)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// The first administrator is made, and later given a new password, from
// the command line under the password rules; the new password ends the
// account's sessions and revokes its API tokens.
func TestAdminPasswordCommands(t *testing.T) {
	bin := binary(t)
	data := t.TempDir()
	for _, pw := range []string{"short", "boss-2026-boss", "Password2026!", "1234567890"} {
		if out, err := withPassword(bin, pw, "admin", "create", "-username", "boss", "-data", data); err == nil || !strings.Contains(out, "password:") {
			t.Fatalf("admin create with %q: %v %s", pw, err, out)
		}
	}
	if out, err := withPassword(bin, "Blue-Heron-Lake-7", "admin", "create", "-username", "boss", "-data", data); err != nil || !strings.Contains(out, "created boss") {
		t.Fatalf("admin create: %v %s", err, out)
	}
	out := run(t, bin, "token", "create", "-user", "boss", "-name", "tests", "-data", data)
	token := strings.TrimSpace(out[strings.LastIndex(strings.TrimSpace(out), "\n")+1:])
	ctx := context.Background()
	st := openStore(t, data)
	acc, err := st.AccountByUsername(ctx, "boss")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateSession(ctx, "a-session", "csrf", acc.ID, time.Now(), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.TokenAccount(ctx, token); err != nil {
		t.Fatalf("the token %q before the reset: %v", token, err)
	}
	if out, err := withPassword(bin, "qwertyuiop", "admin", "password", "-username", "boss", "-data", data); err == nil || !strings.Contains(out, "too simple") {
		t.Fatalf("admin password with a keyboard row: %v %s", err, out)
	}
	if out, err := withPassword(bin, "Quiet-River-Stone-3", "admin", "password", "-username", "boss", "-data", data); err != nil {
		t.Fatalf("admin password: %v %s", err, out)
	}
	if _, _, err := st.Session(ctx, "a-session", time.Now()); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the session after the reset: %v", err)
	}
	if _, _, err := st.TokenAccount(ctx, token); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the token after the reset: %v", err)
	}
	acc, _ = st.AccountByUsername(ctx, "boss")
	if !org.CheckPassword(acc.PasswordHash, "Quiet-River-Stone-3") || org.CheckPassword(acc.PasswordHash, "Blue-Heron-Lake-7") {
		t.Fatal("the new password is not the one that signs in")
	}
}
