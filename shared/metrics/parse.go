package metrics

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Line is one parsed EMF line: the metrics its directive names with their
// values, and every other top-level field.
type Line struct {
	Namespace string
	Values    map[string]float64
	Units     map[string]string
	Props     map[string]any
}

// Parse reads the EMF lines in out (other lines are skipped), as
// CloudWatch would: for tests of the code that emits them.
func Parse(out []byte) ([]Line, error) {
	var lines []Line
	for _, raw := range bytes.Split(out, []byte("\n")) {
		if len(bytes.TrimSpace(raw)) == 0 {
			continue
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil || m["_aws"] == nil {
			continue
		}
		var aws struct {
			CloudWatchMetrics []struct {
				Namespace string
				Metrics   []struct{ Name, Unit string }
			}
		}
		if err := json.Unmarshal(m["_aws"], &aws); err != nil {
			return nil, fmt.Errorf("metrics: bad _aws in %s: %w", raw, err)
		}
		l := Line{Values: map[string]float64{}, Units: map[string]string{}, Props: map[string]any{}}
		named := map[string]bool{}
		for _, d := range aws.CloudWatchMetrics {
			l.Namespace = d.Namespace
			for _, mt := range d.Metrics {
				var v float64
				if err := json.Unmarshal(m[mt.Name], &v); err != nil {
					return nil, fmt.Errorf("metrics: %s is not a number in %s", mt.Name, raw)
				}
				l.Values[mt.Name], l.Units[mt.Name], named[mt.Name] = v, mt.Unit, true
			}
		}
		for k, v := range m {
			if k == "_aws" || named[k] {
				continue
			}
			var p any
			_ = json.Unmarshal(v, &p)
			l.Props[k] = p
		}
		lines = append(lines, l)
	}
	return lines, nil
}
