package org

import "testing"

func TestPasswordRoundTrip(t *testing.T) {
	h, err := HashPassword("xiuhua-demo")
	if err != nil {
		t.Fatal(err)
	}
	if !CheckPassword(h, "xiuhua-demo") || CheckPassword(h, "xiuhua-dem0") || CheckPassword("garbage", "xiuhua-demo") {
		t.Fatal("password check is wrong")
	}
	h2, _ := HashPassword("xiuhua-demo")
	if h == h2 {
		t.Fatal("two hashes of one password share a salt")
	}
	if _, err := HashPassword("short"); err == nil {
		t.Fatal("short password accepted")
	}
}
