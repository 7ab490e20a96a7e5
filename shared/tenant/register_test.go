package tenant

import (
	"testing"

	"github.com/renkei-pos/renkei/shared/ids"
)

func TestRegisterID_RoundTrip(t *testing.T) {
	loc := ids.New(ids.Location)
	for _, n := range []int{1, 9, 10, MaxRegisters} {
		id := RegisterID(loc, n)
		gotLoc, gotN, ok := ParseRegisterID(id)
		if !ok || gotLoc != loc || gotN != n {
			t.Errorf("ParseRegisterID(%q) = %q, %d, %v; want %q, %d", id, gotLoc, gotN, ok, loc, n)
		}
	}
}

func TestParseRegisterID_Refuses(t *testing.T) {
	loc := ids.New(ids.Location)
	good := RegisterID(loc, 3)
	for _, id := range []string{
		"", "reg_", good[:len(good)-1], good + "1", RegisterID(loc, 0), "reg_" + good[4:len(good)-3] + "-03",
		"reg_" + good[4:len(good)-3] + "_1x", "xyz" + good[3:], "reg_" + "ZZZZZZZZZZZZZZZZZZZZZZZZZZ" + "_01",
	} {
		if _, _, ok := ParseRegisterID(id); ok {
			t.Errorf("ParseRegisterID(%q) accepted", id)
		}
	}
}
