// Package timecards is staff time recording (勤怠): shifts clocked in and
// out at a location, with breaks, from a staff member's own session or on a
// shared register by a personal passcode; managers' corrections, kept with
// their history; and the Labour Standards Act checks (breaks, overtime,
// late-night work) computed by pure functions in the location's time zone.
package timecards
