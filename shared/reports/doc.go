// Package reports answers salesSummary from pre-aggregated figures. The
// table's stream feeds it the movements of money (a completed order, a
// refund); each movement adds its figures to small aggregate items per
// location, grouping, time bucket (hour, day and month of the location's
// clock) and key, so a year of one location is read in a dozen queries
// instead of scanning its orders. The figures trail the orders by the
// stream's lag, which the answer states as asOf.
package reports
