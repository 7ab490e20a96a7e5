package identity

import "testing"

func TestWithinLocations(t *testing.T) {
	cases := []struct {
		mine, theirs []string
		want         bool
	}{
		{nil, nil, true}, {nil, []string{"a"}, true},
		{[]string{"a"}, nil, false}, {[]string{"a", "b"}, []string{"a"}, true}, {[]string{"a"}, []string{"a", "b"}, false},
	}
	for _, tc := range cases {
		if got := withinLocations(tc.mine, tc.theirs); got != tc.want {
			t.Errorf("withinLocations(%v, %v) = %v", tc.mine, tc.theirs, got)
		}
	}
}
