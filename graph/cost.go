package graph

import (
	"github.com/renkei-pos/renkei/shared/catalog"
	"github.com/renkei-pos/renkei/shared/identity"
	"github.com/renkei-pos/renkei/shared/integrations"
	"github.com/renkei-pos/renkei/shared/inventory"
	"github.com/renkei-pos/renkei/shared/reports"
	"github.com/renkei-pos/renkei/shared/sales"
	"github.com/renkei-pos/renkei/shared/tenant"
	"github.com/renkei-pos/renkei/shared/timecards"
)

// The cost model. A request's cost bounds the work executing it can do:
//
//   - every field resolution costs 1 (graphql-go calls one resolver per
//     field per object, __typename and introspection fields included);
//   - a field whose resolver reaches storage (or hashes a password, or
//     writes) also costs its declared base below;
//   - the selections under a list are paid once per element it can hold:
//     the page size of a connection (a field taking `first`: the argument,
//     else the variable's value, else its default, else 50; 1..250), or the
//     declared maximum of an unpaged list;
//   - introspection (__schema, __type) is priced by walking the served
//     schema itself, which is static (see introspection_cost.go).
//
// Fragments are priced once each and multiplied where they are spread, so
// pricing is linear in the document's size. A request over MaxCost is
// refused before anything runs.
const (
	defaultPageSize = 50
	maxPageSize     = 250
)

// Base costs, in field resolutions.
const (
	readCost        = 10  // one storage round trip
	batchedReadCost = 1   // a read made through a per-response batch or loader: one round trip serves up to 100 objects
	writeCost       = 50  // one transaction (with the reads before it)
	hashCost        = 500 // a password hash, plus the writes around it
)

// Bounds the domain does not (yet) hold in a constant. The capability that
// builds the field must enforce them, or change them here.
const (
	maxUserErrors     = 50                           // userErrors of one payload: userErrors() keeps the first 50
	maxErrorPath      = 10                           // UserError.field: the deepest input path is 8 segments
	maxRefunds        = sales.MaxRefunds             // refunds of one order: PlanRefund refuses the 101st
	maxOfflineSales   = 500                          // sales of one syncOfflineSales (SyncOfflineSalesInput: "at most 500")
	maxSalesRows      = reports.MaxRows              // rows of one salesSummary, enforced by the reports service
	maxIntegrations   = integrations.MaxIntegrations // integrations of one tenant: connectIntegration refuses the 51st
	maxStockLevelsOut = max(inventory.MaxAdjustChanges, 2*inventory.MaxTransferLines)
)

// fieldCost is the declaration for one field, "Type.field".
type fieldCost struct {
	// base is the cost of one resolution beyond 1.
	base int
	// max is the most elements an unpaged list holds.
	max int
	// perEnum bounds a list by the number of values of an enum of the
	// served schema (one row per tax category, per payment method).
	perEnum string
	// sizeArg names a list argument that, when given, bounds the list by
	// its length, capped at sizeArgMax.
	sizeArg    string
	sizeArgMax int
	// perPage marks the nodes of a connection: the connection field above
	// (which takes `first`) already multiplies its selections by the page.
	perPage bool
	// scope names an input field ("input.locationId") that narrows the
	// work: without it (absent, null, or not known when pricing) the field
	// costs unscopedBase instead of base.
	scope        string
	unscopedBase int
}

// fieldCosts is the one table of the cost model. A test walks the served
// schema and fails when a root field has no entry, when a list has no bound
// (or `first`), or when an entry names no field.
var fieldCosts = map[string]fieldCost{
	// Queries.
	"Query.me":               {base: 2 * readCost},
	"Query.locations":        {base: readCost, max: tenant.MaxLocations},
	"Query.items":            {base: 3 * readCost}, // a search reads by name, SKU and barcode
	"Query.variantByBarcode": {base: 2 * readCost},
	// Without variantIds it reads the whole location: pages of levels, then
	// their variants in batches of 100 (about 56 round trips).
	"Query.inventory": {base: 60 * readCost, max: inventory.MaxLocationLevels,
		sizeArg: "variantIds", sizeArgMax: inventory.MaxReadVariants},
	"Query.order":     {base: readCost},
	"Query.orders":    {base: 5 * readCost}, // a filtered listing reads up to its read budget
	"Query.customers": {base: readCost},
	// Per location ≤ 2 queries per month of the range, plus the tenant and
	// asOf; without locationId every location the caller may see, which the
	// reports service caps at reports.MaxSummaryLocations.
	"Query.salesSummary": {base: summaryLocationCost, max: maxSalesRows,
		scope: "input.locationId", unscopedBase: reports.MaxSummaryLocations * summaryLocationCost},
	// The list in one query, then one query per integration with pending
	// jobs for its lag (the age of its oldest pending job).
	"Query.integrations":    {base: readCost + maxIntegrations*readCost, max: maxIntegrations},
	"Query.integration":     {base: 2 * readCost},                           // the integration, then its oldest pending job (lag)
	"Query.integrationJobs": {base: 2 * readCost},                           // the integration, then the page
	"Query.registers":       {base: 2 * readCost, max: tenant.MaxRegisters}, // the location, then its registers in one batch
	// Timecards (timecards.go): the location(s), then one query per
	// location (a few pages at most); without locationId every location
	// the caller may see, which the service caps at MaxReportLocations.
	"Query.timecards": {base: timecardsLocationCost, scope: "locationId",
		unscopedBase: readCost + timecards.MaxReportLocations*timecardsLocationCost},
	"Query.shift": {base: 2 * readCost}, // the shift and its location
	// Gift cards (giftcards.go): a look-up counts against the caller's
	// limit (a write), then reads the card and the tenant; the liability
	// reads the tenant and the ledger's four shards.
	"Query.giftCard":          {base: writeCost + 2*readCost},
	"Query.giftCardLiability": {base: 5 * readCost},

	// The console's lists (lists.go). staff and apiKeys: one Query of the
	// tenant's root partition each, bounded by what a tenant may hold
	// (createStaff, createApiKey refuse more). closes: the location ids
	// (one Query), then one Query per location read; without locationId
	// every location the caller may see, which the sales service caps at
	// sales.MaxCloseListLocations. A response's accounting is one service
	// call for all its closes: the integrations, then one Query per
	// accounting integration (priced per close as a batched read); the
	// integrations it names share one lag read each.
	"Query.staff":   {base: readCost, max: identity.MaxStaff},
	"Query.apiKeys": {base: readCost, max: identity.MaxAPIKeys},
	"Query.closes": {base: 2 * readCost, max: sales.MaxCloseList, scope: "locationId",
		unscopedBase: readCost + sales.MaxCloseListLocations*readCost},
	"RegisterClose.accounting":  {base: 2 * batchedReadCost, max: integrations.MaxCloseDeliveries},
	"CloseDelivery.integration": {base: batchedReadCost},

	// Mutations. At most one of signUp, logIn, refreshSession per request.
	"Mutation.signUp":               {base: hashCost},
	"Mutation.logIn":                {base: hashCost},
	"Mutation.refreshSession":       {base: writeCost},
	"Mutation.logOut":               {base: writeCost},
	"Mutation.updateTenantSettings": {base: writeCost},
	"Mutation.createStaff":          {base: hashCost},
	"Mutation.deactivateStaff":      {base: writeCost},
	"Mutation.createApiKey":         {base: writeCost},
	"Mutation.revokeApiKey":         {base: writeCost},
	"Mutation.createLocation":       {base: writeCost},
	"Mutation.createRegister":       {base: writeCost},
	"Mutation.deactivateRegister":   {base: writeCost},
	"Mutation.upsertItem":           {base: writeCost},
	"Mutation.adjustInventory":      {base: writeCost},
	"Mutation.transferInventory":    {base: writeCost},
	"Mutation.createCustomer":       {base: writeCost},
	"Mutation.checkout":             {base: 2 * writeCost},
	"Mutation.refund":               {base: 2 * writeCost},
	"Mutation.syncOfflineSales":     {base: offlineSyncWrites * writeCost},
	"Mutation.closeRegister":        {base: 2 * writeCost},
	// A clock event: the passcode's hash (when one is entered) and its
	// attempt counters, the event's record, the open shift, the location,
	// one transaction.
	"Mutation.clock":            {base: hashCost + writeCost},
	"Mutation.correctShift":     {base: 2*readCost + writeCost},
	"Mutation.setStaffPasscode": {base: hashCost},
	// Gift cards: the tenant and the card read, one transaction (a
	// conflict with a sale re-reads, at most three times).
	"Mutation.issueGiftCard":      {base: readCost + writeCost},
	"Mutation.adjustGiftCard":     {base: 3 * (readCost + writeCost)},
	"Mutation.deactivateGiftCard": {base: 3 * (readCost + writeCost)},
	"Mutation.cashOutGiftCard":    {base: 3 * (readCost + writeCost)},
	"GiftCardPayload.userErrors":  {max: maxUserErrors},
	// Integrations (integrations.go). A payload's lagSeconds reads the
	// integration's oldest pending job: readCost each.
	"Mutation.connectIntegration":    {base: readCost + providerCheckCost + 2*writeCost + readCost}, // count, the provider's checks, seal, write
	"Mutation.disconnectIntegration": {base: writeCost + readCost},
	"Mutation.syncIntegration":       {base: readCost + writeCost + readCost}, // the integration, the sync event in the outbox
	"Mutation.retryIntegrationJob":   {base: readCost + 2*writeCost},          // the job, its requeue, a queue message

	// freee's authorization-code flow (freee.go): the URL is built from
	// the request alone; the exchange is a token call, a company listing,
	// a seal and a write; the options read the authorization or the
	// integration, then four freee listings (and perhaps a token refresh
	// and its write); an update reads the integration, runs the connect
	// check and writes. The lists are bounded by
	// integrations.MaxCompanies and MaxAccountOptions.
	"Query.freeeAuthorizationUrl":        {base: 1}, // no storage, no call: the URL is built
	"Query.freeeAccountOptions":          {base: readCost + providerCheckCost},
	"Mutation.authorizeFreee":            {base: providerCheckCost + 2*writeCost},
	"Mutation.updateIntegrationSettings": {base: readCost + providerCheckCost + writeCost},
	"AuthorizeFreeePayload.userErrors":   {max: maxUserErrors},
	"FreeeAuthorization.companies":       {max: integrations.MaxCompanies},
	"FreeeAccountOptions.accountItems":   {max: integrations.MaxAccountOptions},
	"FreeeAccountOptions.taxes":          {max: integrations.MaxAccountOptions},
	"FreeeAccountOptions.walletables":    {max: integrations.MaxAccountOptions},
	"FreeeAccountOptions.sections":       {max: integrations.MaxAccountOptions},

	// Card payments (cards.go): a processor call or two and a write.
	"Mutation.startCardPaymentsOnboarding":      {base: 2 * writeCost},
	"Mutation.terminalConnectionToken":          {base: 2 * writeCost},
	"CardOnboardingPayload.userErrors":          {max: maxUserErrors},
	"TerminalConnectionTokenPayload.userErrors": {max: maxUserErrors},

	// Nested fields that read.
	"Item.variants":          {base: batchedReadCost, max: catalog.MaxVariants},
	"Variant.item":           {base: batchedReadCost},
	"StockLevel.variant":     {base: batchedReadCost},
	"Order.location":         {base: batchedReadCost},
	"Order.customer":         {base: batchedReadCost},
	"Order.staff":            {base: batchedReadCost},
	"Order.receipt":          {base: 2 * batchedReadCost}, // the tenant and the location
	"OrderLine.variant":      {base: batchedReadCost},
	"Customer.orders":        {base: readCost},
	"GiftCard.activities":    {base: readCost},
	"RegisterClose.location": {base: batchedReadCost},
	"RegisterClose.register": {base: batchedReadCost},
	"Order.register":         {base: batchedReadCost},
	"ApiKey.register":        {base: batchedReadCost},
	"Register.location":      {base: batchedReadCost},
	"Shift.location":         {base: batchedReadCost},
	"Shift.register":         {base: batchedReadCost},
	"SalesRow.register":      {base: batchedReadCost},
	// A location's registers are named by its count: one batched read
	// shared with the other locations of the response.
	"Location.registers": {base: batchedReadCost, max: tenant.MaxRegisters},

	// Unpaged lists.
	"User.locationIds":                   {max: tenant.MaxLocations},
	"ApiKey.scopes":                      {perEnum: "ApiScope"},
	"Order.lines":                        {max: sales.MaxLines},
	"Order.taxBreakdown":                 {perEnum: "TaxCategory"},
	"Order.payments":                     {max: sales.MaxPayments},
	"Order.refunds":                      {max: maxRefunds},
	"Order.giftCardLoads":                {max: sales.MaxGiftCardLoads},
	"Refund.taxBreakdown":                {perEnum: "TaxCategory"},
	"Refund.tenders":                     {max: sales.MaxPayments},
	"RegisterClose.taxBreakdown":         {perEnum: "TaxCategory"},
	"RegisterClose.paymentTotals":        {perEnum: "PaymentMethod"},
	"InventoryPayload.stockLevels":       {max: maxStockLevelsOut},
	"SyncOfflineSalesPayload.results":    {max: maxOfflineSales},
	"UserError.field":                    {max: maxErrorPath},
	"SessionPayload.userErrors":          {max: maxUserErrors},
	"LogOutPayload.userErrors":           {max: maxUserErrors},
	"TenantPayload.userErrors":           {max: maxUserErrors},
	"StaffPayload.userErrors":            {max: maxUserErrors},
	"ApiKeyPayload.userErrors":           {max: maxUserErrors},
	"LocationPayload.userErrors":         {max: maxUserErrors},
	"RegisterPayload.userErrors":         {max: maxUserErrors},
	"ItemPayload.userErrors":             {max: maxUserErrors},
	"InventoryPayload.userErrors":        {max: maxUserErrors},
	"CustomerPayload.userErrors":         {max: maxUserErrors},
	"CheckoutPayload.userErrors":         {max: maxUserErrors},
	"RefundPayload.userErrors":           {max: maxUserErrors},
	"OfflineSaleResult.userErrors":       {max: sales.MaxOfflineSaleErrors},
	"SyncOfflineSalesPayload.userErrors": {max: maxUserErrors},
	"CloseRegisterPayload.userErrors":    {max: maxUserErrors},
	"IntegrationPayload.userErrors":      {max: maxUserErrors},
	"IntegrationJobPayload.userErrors":   {max: maxUserErrors},
	"Integration.warnings":               {max: maxIntegrationWarnings},
	"IntegrationWarning.items":           {max: integrations.MaxWarningItems},
	"Timecards.shifts":                   {max: timecards.MaxReportShifts},
	"Timecards.days":                     {max: timecards.MaxReportDays},
	"Timecards.weeks":                    {max: timecards.MaxReportWeeks},
	"Shift.breaks":                       {max: timecards.MaxBreaks},
	"Shift.flags":                        {perEnum: "TimecardFlag"},
	"Shift.edits":                        {max: timecards.MaxEdits},
	"ShiftTimes.breaks":                  {max: timecards.MaxBreaks},
	"TimecardWeek.flags":                 {perEnum: "TimecardFlag"},
	"ClockPayload.userErrors":            {max: maxUserErrors},
	"ShiftPayload.userErrors":            {max: maxUserErrors},
	"SetStaffPasscodePayload.userErrors": {max: maxUserErrors},

	// Connection nodes: paid for by the connection's page size.
	"ItemConnection.nodes":             {perPage: true},
	"OrderConnection.nodes":            {perPage: true},
	"CustomerConnection.nodes":         {perPage: true},
	"IntegrationJobConnection.nodes":   {perPage: true},
	"GiftCardActivityConnection.nodes": {perPage: true},
}

// providerCheckCost prices connectIntegration's checks against the provider
// (integrations.ConnectTimeout bounds them at 15 s): freee's company,
// account items, taxes and walletables (and a token exchange); Shopify's
// shop, locations and the pages of variants matched against the catalog's
// SKUs. Priced as 10 writes — the dearest single operation after a password
// hash, and the rate limit's burst bounds how many a tenant starts.
const providerCheckCost = 10 * writeCost

// timecardsLocationCost is one location of a timecards read: the location
// and its shifts of about six weeks (the range widened to whole weeks),
// read in pages.
const timecardsLocationCost = 5 * readCost

// summaryLocationCost is one location of a salesSummary.
const summaryLocationCost = 30 * readCost

// A sync of 500 sales writes ~16–20 transactions of ~25–31 sales (and the
// close revisions late sales make); one sale per transaction is the
// fallback of a group a race cancelled. Priced at 50 transactions, so a full
// sync's results can carry clientSaleId, status, order { id number } and
// userErrors { field code message } within MaxCost.
const offlineSyncWrites = 50

// Fields that open a session: at most one of them per request, and a
// request holding one is limited per client address whatever its
// credential.
var sessionFields = map[string]bool{"signUp": true, "logIn": true, "refreshSession": true}

// Fallbacks for a field missing from fieldCosts (the schema test fails on
// it; in the meantime the field is priced as a read returning a big list).
const (
	undeclaredRootBase = readCost
	undeclaredListMax  = 1000
)
