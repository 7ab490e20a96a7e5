package main

import "github.com/aws/jsii-runtime-go"

// indexAttributes are the only non-key attributes gsi1 and gsi2 project
// (INCLUDE): what a Query reads from an index itself — the order listings'
// filters (status, locationId) and the variant search's hits (itemId,
// itemName). Every other read through an index fetches the items from the
// table by key. It is shared/dynamo.IndexAttributes, which the local table
// (EnsureTable) uses; tables_test.go checks that the two lists agree.
//
// An order was stored three times (the table and two ALL indexes); an
// index entry is now a few hundred bytes, and updates that change none of
// these attributes (stock takes, refunds on an order) write no index.
// Changing a GSI's projection in AWS replaces the index: see
// docs/operations.md "Write amplification" for the migration.
var indexAttributes = []string{"itemId", "itemName", "locationId", "status"}

func indexNonKeyAttributes() *[]*string { return jsii.Strings(indexAttributes...) }
