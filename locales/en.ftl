# crm-workbench: English messages (Fluent, https://projectfluent.org).
# Every message here has its twin in zh.ftl (a test checks).

## Actions: what the palette lists, and help when a keymap gives no description.
action-app-quit = Quit
action-app-refresh = Reload everything from the database
action-help-toggle = Show all keys
action-help-close = Close help
action-help-search = Search the keys
action-palette-open = Command palette
action-filter-open = Filter customers (fuzzy)
action-filter-clear = Clear the filter and quick filters
action-job-cancel = Cancel the running job
action-log-open = Show the message log
action-log-close = Close the message log
action-pane-next = Next pane
action-pane-prev = Previous pane
action-pane-customers = Go to Customers
action-pane-duplicates = Go to Duplicates
action-pane-followups = Go to Follow-ups
action-pane-imports = Go to Imports
action-pane-quality = Go to Quality
action-jump-back = Back to where you were (jump list)
action-jump-forward = Forward again (jump list)
action-focus-next = Switch between list and detail
action-focus-prev = Switch between list and detail (back)
action-focus-list = Back to the list
action-focus-detail = Open the detail
action-cursor-down = Down
action-cursor-up = Up
action-cursor-page_down = Page down
action-cursor-page_up = Page up
action-cursor-half_down = Half a page down
action-cursor-half_up = Half a page up
action-cursor-top = First
action-cursor-bottom = Last
action-cursor-left = Left / previous column
action-cursor-right = Right / next column
action-field-next = Next field
action-field-prev = Previous field
action-sort-next = Sort by the next column
action-sort-reverse = Reverse the sort order
action-quick-mine = Show only my customers (toggle)
action-quick-overdue = Show only overdue customers (toggle)
action-quick-incomplete = Show only customers flagged 待完善 (toggle)
action-quick-status = Show one status (cycles through the statuses)
action-quick-owner = Show one owner (cycles through the owners listed)
action-quick-rule = Show one reminder rule (cycles through the rules listed)
action-mark-toggle = Mark / unmark, and move on
action-mark-clear = Clear all marks
action-customer-merge_marked = Merge the marked customers
action-customer-new = New customer
action-customer-edit = Edit customer
action-customer-status = Change status
action-customer-reassign = Reassign owner
action-customer-open = Open the customer
action-contact-add = Add a contact
action-interaction-log = Log an interaction
action-review-approve = Approve: merge the cluster
action-review-reject = Reject: not duplicates
action-review-drop = Drop the selected member from the cluster
action-review-skip = Skip this cluster for now
action-review-pick = Keep this member's value for the field
action-merge-undo = Undo the last merge
action-match-run = Find duplicates now
action-followup-done = Done: log the follow-up
action-followup-snooze_1d = Snooze 1 day
action-followup-snooze_3d = Snooze 3 days
action-followup-snooze_1w = Snooze 1 week
action-followup-snooze = Snooze for…
action-followup-undo_snooze = Undo the last snooze
action-import-start = Import a file
action-import-open = Show the batch's log
action-import-resume = Resume an incomplete import
action-import-undo = Undo an import batch
action-import-map = Map the selected column to another field (import preview)
action-import-key = Make the selected column the record key (import preview)
action-form-next = Next field
action-form-prev = Previous field
action-form-save = Save
action-form-cancel = Cancel
action-form-option = Next allowed value
action-form-open_existing = Open the existing customer instead (a possible duplicate)
action-input-accept = Accept
action-input-cancel = Cancel
action-confirm-accept = Yes, do it
action-confirm-reject = No, go back

## Panes, the pane bar and the status bar
pane-customers = Customers
pane-duplicates = Duplicates
pane-followups = Follow-ups
pane-imports = Imports
pane-quality = Quality
pane-short-customers = Cust
pane-short-duplicates = Dup
pane-short-followups = F-up
pane-short-imports = Imp
pane-short-quality = Qual
too-small = crmwb needs at least { $w }×{ $h }; this terminal is { $cols }×{ $rows }
log-empty = No messages yet this session.
error-prefix = error: { $msg }
log-title = {" "}Messages ({ $n }){" "}
role-none = not a user of this database
mode-help = HELP
mode-log = LOG
mode-command = COMMAND
mode-confirm = CONFIRM
mode-edit = EDIT
mode-filter = FILTER
mode-normal = NORMAL
status-more = … { $key }: all of it
help-here = { $title } [{ $name }] — here
help-title = {" "}Keys — { $source }{" "}
palette-title = {" "}Command palette{" "}
palette-none = no action matches
confirm-yes = yes
confirm-no = no

## Help's sections (keymap contexts)
context-global = Everywhere
context-customers = Customer list
context-detail = Customer detail
context-duplicates = Duplicates
context-followups = Follow-ups
context-imports = Imports
context-quality = Quality
context-help = This help
context-log = Message log
context-palette = Command palette
context-filter = Filter input
context-form = Editors
context-confirm = Confirmation

## The app
ready-back = Back to where you came from
ready-search-followups = Search the follow-ups
# An action that runs on the marked items, where there is room to say so
# (the pending key box, help, the palette).
on-marked = { $what } · the { $n } marked
ready-help-keep-search = Keep the search
ready-help-show-all = Show every key
ready-run-import = Run the import
ready-back-no-import = Back: do not import
ready-stop-import = Stop the import
no-job = No job is running
nothing-back = Nothing to go back to
nothing-forward = Nothing to go forward to
key-unbound-help = { $keys } is not bound here; { $help } lists the keys
key-unbound = { $keys } is not bound here
nothing-done = Nothing was done
reloaded = Reloaded
cancelling = Cancelling { $job }…
quit-running = Running: { $jobs }
quit-running-body = Quitting cancels it; an import can be resumed later (Imports pane or `crmwb imports resume`).
quit-running-title = Quit while a job runs?
job-counting = counting
list-sep = {", "}

## Customers pane
quick-mine = mine
quick-overdue = overdue
customers-loading-title = Customers (…)
customers-title-of = Customers ({ $n } of { $total })
customers-title = Customers ({ $n })
job-reading-customers = reading customers
job-indexing = indexing customers for the filter
job-filtering = filtering
job-looking-up = looking up
no-customer-selected = No customer selected
no-filter = No filter to clear
filters-cleared = Filters cleared
no-marked = No customer is marked
mark-two = Mark two or more customers first ({ $key }), then merge them
sorted-by = Sorted by { $field }
n-marked = { $n } marked; { $key } merges them
marks-cleared = Marks cleared
merge-body-head = Merge { $n } customers into { $number } { $name }:
merge-body-kept = Every value, contact and source record is kept; undo splits them again.
merge-title = Merge customers?
unmerge-body-1 = Undo the latest merge into { $number }:
unmerge-body-2 = the absorbed customers become customers of their own again;
unmerge-body-3 = edits made since stay with the survivor.
unmerge-title = Undo merge?
no-merge-to-undo = This customer has no merge to undo
merged-n = Merged { $n } customers; { $key } on the survivor splits them again
merge-refused = merge refused: { $e }
split-back = Split { $restored } back out of { $survivor }
unmerge-refused = unmerge refused: { $e }
n-marked-title = {" "}· { $n } marked
customers-loading = Loading customers…
customers-none-filter = No customer matches the filter (Esc clears it)
searching = Searching…
customers-none-quick = No customer matches the quick filters (Esc clears them)
customers-none = No customers yet. Import a file with: crmwb import FILE --source NAME
found-best = {" "}{ $n } found, best { $shown } shown
found = {" "}{ $n } found
detail-title = Detail
nothing-selected = Nothing selected
err-customers = reading customers: { $e }
err-merge-history = reading merge history: { $e }
err-customer = reading customer: { $e }
err-indexing = indexing customers: { $e }
err-looking-up = looking up: { $e }
err-filtering = filtering: { $e }

## Values shown to people (codes stay as they are in data and machine output)
value-kind-company = company
value-kind-person = person
value-interaction-call = call
value-interaction-visit = visit
value-interaction-email = email
value-interaction-meeting = meeting
value-interaction-quote = quote
value-interaction-ticket = ticket
value-interaction-event = event
value-interaction-note = note
value-phone-mobile = mobile
value-phone-landline = landline
value-role-admin = admin
value-role-manager = manager
value-role-sales = sales
value-role-service = service
value-role-marketing = marketing
value-role-steward = steward
value-band-match = match
value-band-review = review
value-band-non-match = non-match
value-origin-manual = manual
value-origin-cluster = cluster
value-severity-error = error
value-severity-warning = warning

## Customer detail
detail-fields = Fields
detail-row-findings = Row findings
detail-followups = Follow-ups
detail-custom = Custom fields
detail-phones = Phones
detail-emails = E-mails
detail-contacts = Contacts
detail-interactions = Interactions
detail-sources = Source records
detail-merges = Merges
detail-history = History
detail-row = ({ $source } row { $row })
detail-not-due = { $next }  not due: history, before this import's --reminders-from { $from }
detail-primary = primary
detail-by = by { $who }
detail-source = key { $key }  batch { $batch }  row { $row }
detail-absorbed = absorbed { $numbers }
detail-merged-into = merged into { $survivor }
detail-undone = undone { $at }
none = none

## Quality pane
job-quality = quality report
quality-shape = the report came back in an unexpected shape
err-quality = quality report: { $e }
quality-failed = Could not measure: { $e }
loading = loading…
quality-overview = Overview
quality-targets = Targets
quality-completeness = Completeness per field
quality-invalid = Invalid values (refused on import, kept in the raw rows)
quality-per-source = Per source (imports not undone)
quality-counts = { $customers } customers · { $rows } source rows
quality-flags = flags:{" "}
quality-flagged = { $n } flagged 待完善 ({ $pct })
quality-not-measured-run = not measured yet (run matching)
quality-dup-suspects = duplicate suspects:{" "}
n-a = n/a
quality-pass = pass
quality-fail = FAIL
quality-not-measured = not measured yet
value-target-duplicate-rate = duplicate rate
value-measure-duplicate-rate = customers in an open duplicate-suspect cluster
value-target-missing-field-rate = missing-field rate
value-measure-missing-field-rate = empty key fields (name, industry, contact, city, status, any phone or e-mail)
value-target-accuracy = accuracy
value-measure-accuracy = imported values that passed validation
value-target-profile-completeness = profile completeness
value-measure-profile-completeness = customers not flagged 待完善
value-target-source-linkage = source linkage
value-measure-source-linkage = customers traceable to at least one source row
quality-target = target { $target }
quality-filled = { $n } filled
quality-n-invalid = { $n } invalid
quality-validity = validity { $pct }
quality-no-imports = no imports yet
quality-col-source = source
quality-col-batches = batches
quality-col-rows = rows
quality-col-new = new
quality-col-warned = warned
quality-col-rejected = rejected
quality-rejected-share = {" "}{ $pct } rejected
quality-incomplete = { $n } INCOMPLETE

## Duplicates pane
dup-title = Duplicates ({ $n })
dup-title-loading = Duplicates (…)
err-queue = reading the review queue: { $e }
dup-no-cluster = No cluster selected
dup-loading = The review queue is still loading
dup-empty = No cluster selected: the review queue is empty
dup-cannot-merge = this cluster cannot be merged
dup-already = Already finding duplicates…
dup-approve-1 = merge { $n } customers into { $number }
dup-approve-2 = { $others } will resolve to { $number }
dup-approve-pick = { $field } from { $number } (your pick)
dup-approve-undo = undo later: { $key } here, or `crmwb unmerge { $number }`
dup-approve-title = Merge cluster { $cluster }?
dup-reject-1 = { $numbers } are not duplicates of each other
dup-reject-2 = they will not be proposed together again
dup-reject-title = Not duplicates (cluster { $cluster })?
dup-drop-1 = { $number } is not a duplicate of { $rest }
dup-drop-last = only one customer is left: the cluster leaves the queue
dup-drop-rest = the other { $n } stay in the cluster for review
dup-drop-title = Drop { $number } from the cluster?
dup-no-merge = No merge to undo
dup-undo-1 = split { $absorbed } back out of { $survivor }
dup-undo-2 = { $survivor } gets back its fields from before the merge
dup-undo-3 = fields edited since the merge keep their edited value
dup-undo-title = Undo merge { $merge } of { $at }?
dup-skipped = Skipped cluster { $id }: it waits at the end of the queue
dup-pick-whole = { $label }: a merge keeps every member's; nothing to pick
dup-pick-cleared = { $label }: pick cleared; the rule chooses again
dup-pick-empty = { $label }: keeping { $number }'s (no value)
dup-pick-value = { $label }: keeping { $number }'s value
job-finding = finding duplicates
job-comparing = comparing customers
dup-finding = Finding duplicates…
dup-op-skip = skip
dup-op-approve = approve
dup-op-reject = reject
dup-op-drop = drop
dup-match-done = Matching done: { $open } clusters to review ({ $new } new)
dup-match-cancelled = Matching cancelled; nothing was written
dup-match-noreport = finding duplicates: the job returned no report
err-finding = finding duplicates: { $e }
dup-merged = Merged { $merged } into { $survivor }; { $key } undoes it
dup-too-few = Cluster { $cluster }: fewer than two customers were left; nothing merged
dup-rejected = Cluster { $cluster }: not duplicates; remembered; { $key } takes it back
dup-unrejected = Cluster { $cluster } is back in the queue (the reject is taken back)
dup-dropped-closed = Dropped { $number }; one customer was left, so the cluster is closed
dup-dropped = Dropped { $number }; { $n } customers stay in the cluster
dup-undid =
    Undid merge { $merge }: { $restored } { $n ->
        [one] is a customer of its own
       *[other] are customers of their own
    } again
dup-undid-kept = ; edited since, kept: { $fields }
dup-undid-back = ; cluster { $cluster } is back in the queue
dup-undid-run = ; run match (m) to review them again
err-undo = undo: { $e }
dup-queue = Review queue
dup-reading-queue = Reading the queue…
dup-how = Find duplicates: { $key } here, or `crmwb match` in a shell.
dup-none = No clusters wait for review.
dup-head-score = score
dup-head-n = n
dup-head-bits = bits
dup-head-customers = customers
dup-skipped-mark = (skipped){" "}
dup-compare = Compare
dup-reading-cluster = Reading the cluster…
dup-cluster-title = Cluster { $cluster }: { $n } customers
dup-legend-long = {" "}{ $kept } kept  { $picked } your pick  { $differs } differs{" "}
dup-legend-short = {" "}{ $kept } kept { $picked } pick { $differs } differs{" "}
dup-more = +{ $n } more
dup-no-value = { $label } ← { $number }: no value ({ $why })
dup-evidence-head = Evidence: bits per field (+ for, − against); p = match probability
dup-evidence-p = Evidence p { $p }{" "}
dup-no-evidence = no evidence stored
dup-your-pick = your pick
reason-agreed = all agree
reason-empty = no value
reason-follows = follows { $leader }
dup-survivor-first = the survivor's, else the first filled
dup-all-kept = all kept by the merge
dup-merged-since = { $number } was merged into { $survivor } since (merge { $merge }); undo that merge first
dup-no-latest = no merge in this session, and the latest cannot be looked up: { $e }

## Matching evidence and survivorship rules
value-evfield-name = name
value-evfield-legal_form = legal form
value-evfield-branch = branch
value-evfield-location = location
value-evfield-contact = contact
value-evfield-landline = landline
value-evfield-email = email
value-evfield-address = address
value-evfield-industry = industry
value-evfield-first_contact = first contact
value-evfield-given_name = given name
value-evfield-surname = surname
value-evfield-birth_date = birth date
value-level-missing = missing
value-level-exact = exact
value-level-core_exact = core exact
value-level-contained = contained
value-level-contained_full = contained, both registered
value-level-same_brand = same brand
value-level-same_brand_full = same brand, both registered
value-level-contained_alike = contained, read alike
value-level-pinyin = pinyin
value-level-edit1 = edit1
value-level-different = different
value-level-same = same
value-level-one_side = one side
value-level-same_district = same district
value-level-same_city = same city
value-level-same_region = same region
value-level-same_user = same user, other domain
value-level-same_domain = same domain
value-level-close = close
value-level-partial = partial
value-level-near = near
value-level-same_year = same year
ev-implied-by-number = {" "}(follows from the shared number)
value-level-reach_and_name = reach and name
value-level-reach_name_alike = reach, name reads alike
value-level-reach_only = reach only
value-level-name_reach_differs = name reach differs
value-level-name_only = name only
value-level-reach_differs = reach differs
value-level-name_differs = name differs
value-level-both_differ = both differ
value-level-swapped = swapped
value-level-jw_high = jw high
value-level-jw_mid = jw mid
value-level-jw_low = jw low
value-level-initial = initial
value-level-typo = typo
value-level-day_month_swapped = day month swapped
value-level-within_year = within year
value-rule-most_recent = most recent
value-rule-most_complete = most complete
value-rule-source_priority = source priority
value-rule-most_frequent = most frequent
value-rule-earliest = earliest
value-rule-latest = latest

## Follow-ups pane
fu-owner-label = owner { $owner }
fu-rule-label = rule { $rule }
fu-group-overdue = Overdue
fu-group-today = Today
fu-group-upcoming = Next 7 days
fu-title = Follow-ups ({ $n } overdue)
err-user = reading your user: { $e }
job-followups = follow-ups
fu-loading = The follow-ups are still loading
fu-nothing-due = Nothing is due
fu-none-marked = No follow-up is marked
fu-n-marked = { $n } marked; { $keys } act on every marked one
fu-shape = the follow-up list came back in an unexpected shape
err-followups = follow-ups: { $e }
fu-shown = { $n } follow-ups shown
fu-shown-of = { $n } of { $total } shown: { $labels }
fu-not-kind = `{ $text }` is not a kind ({ $kinds })
fu-summary-required = say what happened: the summary is required
fu-verb-done = done
fu-until = {" "}until { $day }
fu-verb-snoozed = snoozed{ $until }
fu-snoozed-one = { $number }: [{ $rule }] snoozed until { $until }
fu-undo-changed = { $number } [{ $rule }] was changed after the snooze; left as it is
fu-verb-unsnoozed = back as before the snooze
fu-unsnoozed-one = { $number }: [{ $rule }] back as before the snooze
fu-no-snooze-to-undo = No snooze to undo in this session
fu-owner-now = { $number }: owner is now { $login }
fu-verb-reassigned = reassigned to { $login }
fu-of = {" "}· { $n } of { $total }
fu-load-failed = Could not load the follow-ups: { $e }
fu-none-filter = Nothing matches the filters (Esc clears them).
fu-none-due = Nothing due in the next { $days } days.
fu-late-years = { $n }y late
fu-late-days = { $n }d late
fu-today = today
fu-in-days = in { $n }d
fu-escalated = ▲ESCALATED
fu-history-one = {" "}1 planned date is history (before --reminders-from), not due{" "}
fu-history-n = {" "}{ $n } planned dates are history (before --reminders-from), not due{" "}
fu-reminders-from = {" "}reminders from { $day } for import { $id } ({ $source }){" "}
fu-every-date = {" "}every date counts: no import set --reminders-from{" "}
fu-due = due { $day }
fu-snoozed-to = , snoozed to { $day }
fu-1-day-late = 1 day late
fu-n-days-late = { $n } days late
fu-in-n-days = in { $n } days
fu-count-from = dates count from { $day }
fu-every-date-counts = every date counts
fu-about-owner = {" "}· owner { $owner }
fu-about-snoozed = {" "}· snoozed until { $day }
fu-escalated-to = ▲ESCALATED to { $to }:{" "}
fu-escalated-colon = ▲ESCALATED:{" "}
fu-n-marked-subject = { $n } marked follow-ups
fu-snooze-title = Snooze { $what }
fu-snooze-for = For (e.g. 3d, 2w, 1m)
fu-done-title = Done: { $n } marked follow-ups, one interaction each
fu-kind = Kind
fu-what = What happened
fu-n-marked-short = { $n } marked
fu-reassign-title = Reassign { $what }
fu-reassign-to = Reassign { $what } to one of: { $users }
fu-new-owner = New owner
fu-summary = { $n } { $verb }
fu-summary-refused = , { $n } refused ({ $why })

## Why a follow-up is due
why-first = new customer: first contact { $event }, no follow-up within { $days } days
why-none-on-record = none on record
why-counted-reminders = , counted from { $base } (reminders-from)
why-counted-entered = , counted from { $base } (entered then)
why-recurring = priority { $priority }: last follow-up { $last }{ $counted }; follow up at least every { $days } days
why-quote = quoted on { $event } and no follow-up within { $days } days: escalated to { $to }
why-manager-of = { $manager } (manager of { $owner })
why-manager-none = the manager of { $owner } (none on record)
why-no-owner = the owner's manager (no owner on record)
why-renewal = contract { $contract }expires { $event }: renewal is due { $days } days before
why-next = next follow-up planned for { $event }

## Imports pane
value-batch-running = running
value-batch-complete = complete
value-batch-incomplete = incomplete
value-batch-undone = undone
value-batch-undoing = undoing
imp-field-path = File path
imp-field-source = Source name
imp-field-key = Record key
imp-field-maps = Column mapping
imp-field-kind = Customer kind
imp-field-ikind = Interaction kind
imp-field-encoding = Encoding
imp-field-delimiter = Delimiter
imp-field-sheet = Sheet (xlsx)
imp-field-mapping = Mapping file
imp-field-reminders = Reminders from
imp-field-limit = At most N rows
imp-field-bulk = Bulk load
imp-hint-path = CSV/TSV (UTF-8, GB18030/GBK, UTF-16), XLSX, XLS or ODS
imp-hint-source = where the file came from, e.g. sales or service tickets; its mapping is remembered
imp-hint-key = the column holding the source's own id (工单号, 客户编号…); empty: the data row number
imp-hint-maps = HEADER=FIELD, A+B=FIELD joins, HEADER=- raw only; several separated by ; (m in the preview edits it)
imp-hint-kind = company or person, for rows that do not say; empty: a person's name reads as a person
imp-hint-ikind = what the rows' interactions are (ticket, event, call…); empty: note
imp-hint-encoding = auto, utf-8 or gb18030 (GBK)
imp-hint-delimiter = one character, \t for tab; empty: found from the header line
imp-hint-sheet = the worksheet to read; empty: the first
imp-hint-mapping = a mapping saved with --save-mapping (TOML); empty: the one remembered for the source
imp-hint-reminders = YYYY-MM-DD: events before that day raise no reminder; empty: every date counts
imp-hint-limit = a trial import of the first N rows; empty: the whole file
imp-hint-bulk = auto, on or off: a source's first import may drop and rebuild indexes (faster for big files)
imp-form-title = Import a file
imp-err-path = give the file to import (CSV or XLSX)
imp-err-nofile = no file at { $path }
imp-err-source = name where the file came from, e.g. sales
imp-err-map = `{ $m }` is not HEADER=FIELD
imp-err-kind = company or person
imp-err-ikind = one of { $kinds }
imp-err-encoding = auto, utf-8 or gb18030
imp-err-delimiter = one ASCII character, or \t for tab
imp-err-mapping = not a saved mapping: { $e }
imp-err-read = cannot read { $file }: { $e }
imp-err-day = `{ $d }` is not a day (YYYY-MM-DD)
imp-err-limit = a number of rows, 1 or more; empty: all
imp-err-bulk = auto, on or off
imp-title-pct = Imports ⟳{ $pct }%
imp-title-running = Imports ⟳
imp-none = No imports yet
imp-busy = { $job } is running; wait for it or stop it first
imp-cannot = cannot import: { $e }
imp-no-columns = The file's columns are not read yet
imp-no-batch = The preview shows no batch: go back to the list first
imp-only-incomplete = Batch { $id } is { $status }; only an incomplete batch is resumed
imp-already-undone = Batch { $id } is already undone
imp-map-title = Map column { $header }
imp-map-field = Field
imp-map-hint = a field (name, mobile, city, interaction_summary…), custom:NAME:TYPE, - for the raw row only; empty: back to the guess
imp-key-row = Record key: the data row number
imp-key-col = Record key: column { $header }
imp-not-started = Import not started
imp-run-1 = { $file } as source `{ $source }`
imp-run-2 = Keyed by { $key }; interactions logged as { $kind }.
imp-row-number = the data row number
imp-run-dry = Dry run: { $read } rows, { $new } new, { $updated } updated, { $unchanged } unchanged,
imp-run-dry2 = { $warned } with warnings, { $rejected } rejected.
imp-run-nodry = The dry run did not finish: no counts yet.
imp-run-bg = Runs in the background; { $key } stops it (resumable).
imp-run-title = Run the import?
job-batch-log = batch log
job-resume = resume batch { $id }
imp-undo-title = Undo batch { $id }?
imp-undo-1 = { $file } from source `{ $source }`
imp-undo-2 = Removes its { $new } new customers; restores { $updated } updated ones.
imp-undo-3 = Refused if any of it was merged or worked on since.
imp-running = An import is running; wait for it or stop it first
imp-progress = { $read } rows, { $new } new, { $rejected } rejected
imp-progress-idx = , indexes { $done }/{ $total }
imp-log-shape = The log came back in an unexpected shape
imp-log-failed = Could not read the log: { $e }
imp-dry-stopped = The dry run was stopped: no counts.
imp-dry-shape = the dry run came back in an unexpected shape
imp-undone = Batch { $id } undone: { $removed } customers removed, { $restored } restored to their earlier values
imp-undo-shape = the undo came back in an unexpected shape
imp-batch-n = Batch { $id }
imp-import = Import
imp-stopped = { $batch } stopped after { $read } rows: incomplete; { $resume } resumes it, { $undo } undoes it
imp-done = { $batch }: { $read } rows read, { $new } new, { $updated } updated, { $unchanged } unchanged, { $warned } with warnings, { $rejected } rejected
imp-import-shape = the import came back in an unexpected shape
job-import = import { $file }
job-undo-batch = undo batch { $id }
job-dry-run = dry run
imp-reading-file = Reading the file…
imp-title-log = Imports › batch { $id } log
imp-title-preview = Imports › preview { $file } as { $source }
imp-hint-failed = Cannot import: { $map } maps the column, { $new } changes the request, { $back } back
imp-hint-dry = Dry run… { $run }: import now · { $map }: map column · { $key }: record key · { $back }: back
imp-hint-ready = { $run }: import · { $map }: map column · { $key }: record key · { $new }: change · { $back }: back
imp-batches-failed = Could not read the batches: { $e }
imp-none-how = No imports yet. { $key } imports a file.
imp-about = { $file } · { $started } · by { $actor }
imp-finished = {" "}· finished { $at }
imp-incomplete = INCOMPLETE: { $resume } resumes it, { $undo } undoes it
imp-undoing = UNDOING: part-way through an undo; { $undo } continues it
imp-complete = { $n } unchanged · { $key } shows its log
imp-reminders-from = {" "}· reminders from { $day }
imp-every-date = {" "}· every date raises reminders
job-import-short = import
imp-col-status = status
imp-col-source = source
imp-col-file = file
imp-col-read = read
imp-col-new = new
imp-col-upd = upd
imp-col-warn = warn
imp-col-rej = rej
imp-col-started = started
imp-starting = starting…
imp-stops = {" "} (x or Esc stops it; resumable)
imp-dry-head = ── Dry run (nothing written) ──
imp-dry-1 = { $read } rows read: { $new } would be new, { $updated } updated, { $unchanged } unchanged,
imp-dry-2 = { $warned } with warnings, { $rejected } rejected
imp-mapping-head = ── Mapping ({ $n } columns, { $encoding }) ──
imp-joined = → { $target }* (joined)
imp-joined-auto = → { $target } (joined)
imp-in-join = { $target } (joined)
imp-record-key = record key
imp-raw-only = (raw row only)
imp-not-mapped = { $header }: not mapped, { $why }
imp-guessed = ?: guessed from a word in the header: check it
imp-set-by-you = *: set by you or by the saved mapping
imp-key-candidate = record key: the data row number; `{ $k }` looks like the source's own id
imp-key-rownum = record key: the data row number
imp-log-head = { $file } · source { $source } · { $status }
imp-log-counts = { $read } rows read{ $blank }: { $new } new, { $updated } updated, { $unchanged } unchanged, { $warned } with warnings, { $rejected } rejected
imp-log-started = started { $at } by { $actor }{ $finished }
imp-log-finished = , finished { $at }
imp-log-issues = ── Warnings and rejections ({ $n }) ──
imp-row = row { $row }{ $col }:{" "}
imp-rejected = REJECTED
imp-warning = warning
imp-more = … { $n } more: crmwb imports show { $id }
imp-rejected-rows = ── Rejected rows ({ $n }) ──
imp-more-csv = … { $n } more: crmwb imports show { $id } --rejected-csv FILE

## Editors and prompts
form-not-kind = `{ $text }` is not a kind: { $kinds }
form-sections = { $desc } (20 sections)
form-masked = masked for your role
form-merged-away = { $number } was merged into another customer; open and edit the surviving customer
form-no-contacts = this customer has no contacts yet
form-next-hint = { $hint }; not in the past; empty keeps the current plan
form-summary-hint = what happened (required)
form-title-new = New customer
form-title-edit = Edit
form-title-contact = New contact
form-title-interaction = Log interaction
form-title-done = Follow-up done
form-title-status = Status
form-title-reassign = Reassign
form-reason-hint = needed for lost, going back to prospect, and reactivating a lost customer
form-won-hint = won needs a contract number or signing date
form-owner-hint = a user's login or name; empty: no owner. Users: { $users }
form-required = required
form-nothing-changed = { $number }: nothing changed, nothing saved
form-saved-same = { $number }: saved, no value changed
form-saved = Saved { $number }: { $fields } (version { $version })
form-despite = ; saved despite warnings: { $rules }
form-empty = (empty)
form-yours-theirs = { $label }: yours { $yours } · theirs { $theirs }
form-stale = { $number } was changed by someone else since you opened it (now version { $version }): nothing was saved. Your edits are kept; { $key } again saves them over theirs.
form-none-shown = none of the fields shown here changed
form-their-change = their change: { $who }
form-dup-whom =
    { $n ->
        [one] a customer
       *[other] { $n } customers
    }
form-dup-head = Possible duplicate of { $whom } already here:
form-dup-line = {" "} { $number } { $name } — same { $shared }
form-dup-how = { $open } opens { $number } instead; { $save } again saves a new customer anyway.
form-created = Created { $number } { $name }
form-contact-added = Added contact { $name } to { $number }
form-next-fu = ; next follow-up { $day }
form-fu-done = { $n } follow-up(s) done ({ $rules });{" "}
form-fu-none = no follow-up was due;{" "}
form-logged = { $done }logged a { $kind } with { $number } on { $at }{ $next }
form-no-status = (no status)
form-already = { $number } already is { $status }; nothing changed
form-hidden-tag = {" "}(hidden)
form-readonly-tag = {" "}(read-only)
form-warning = ⚠ warning { $w }
form-hidden = hidden: { $why }
form-readonly = read-only: { $why }
form-foot-discard = discard unsaved changes? { $yes } discard · { $no } keep editing
form-foot-dup = possible duplicate: { $open } opens it · { $save } saves anyway
form-foot-warn = warnings: press { $save } again to save anyway
form-foot-prompt = { $next } next · { $save } submit · { $cancel } cancel
form-foot-edit = { $save } save · { $cancel } cancel · { $next } next field
fu-group-heading = { $name } ({ $n })
part-findings = findings
part-merges = merges
err-reading = reading { $what }
form-use-status-editor = { $message }; change the status in the status editor, which asks for it
form-warning-banner = warning: { $text }

## Validation rules: what each checks (the form's hints)
rule-row-identity = a customer needs a name or at least one contact detail (phone or e-mail)
rule-mobile-format = a mobile number has 11 digits and starts with 1
rule-landline-format = a landline is 0AA-NNNNNNNN (an extension as a third part) or a 400/800 number
rule-phone-format = a phone value must be a recognisable mobile or landline number
rule-email-format = an e-mail address is local@domain.tld
rule-date-format = a date must be a real calendar date (stored as YYYY-MM-DD)
rule-date-order = the last follow-up cannot be before the first contact
rule-kind-allowed = customer type is company (企业) or person (个人)
rule-status-allowed = status is one of 潜在客户, 意向客户, 成交客户, 流失客户
rule-priority-allowed = priority is 高, 中 or 低
rule-number-format = a number field holds a plain decimal amount
rule-address-mismatch = the address names a province or city other than the row's province / city / district columns
rule-name-format = a name must contain letters, not only punctuation or a bare legal form
rule-industry-unknown = industry must be one of the GB/T 4754-2017 sections (A–T), by name, letter or a common wording
rule-status-won_needs_contract = 成交客户 (won) needs a contract: a contract number or signing date
rule-status-lost_needs_reason = 流失客户 (lost) needs a reason
rule-status-reactivate_needs_reason = reactivating a lost customer needs a reason
rule-status-downgrade_needs_reason = moving an interested customer back to prospect needs a reason
rule-status-won_is_final = a won customer does not go back to prospect or interested; it stays won or becomes lost (with a reason)
rule-interaction-kind = an interaction is a call, visit, email, meeting, quote, ticket, event or note

## Command line: import
cli-mapping = Field mapping:
cli-joined = {" "} { $cols } → { $target } (joined)
cli-to-key = → record key
cli-saved-mapping = {" "}(saved mapping)
cli-guess = {" "}(guess: check it, or set it with --map)
cli-raw-why = {" "} (kept in raw row only: { $why })
cli-raw = {" "} (kept in raw row only)
cli-in-join = → { $target } (joined above)
cli-key-candidate = {" "} record key: data row number (`{ $k }` looks like the source's own id: use --key '{ $k }')
cli-key-row = {" "} record key: data row number (use --key HEADER to name the source's own id column)
cli-batch = Batch { $id }
cli-dry = Dry run (nothing written)
cli-blank =
    { $n ->
        [one] {" "}(1 blank row skipped)
       *[other] {" "}({ $n } blank rows skipped)
    }
cli-report = { $what }: { $read } rows read{ $blank }, { $imported } imported, { $updated } updated, { $unchanged } unchanged, { $warned } with warnings, { $rejected } rejected
cli-report-dry = { $what }: { $read } rows read{ $blank }, { $imported } would be imported, { $updated } would be updated, { $unchanged } unchanged, { $warned } with warnings, { $rejected } would be rejected
cli-column = {" "}column { $c }
cli-issue = {" "} row { $row }{ $col }: { $severity } [{ $rule }] { $message }
cli-interrupted = Interrupted: batch { $b } is incomplete. Continue with `crmwb imports resume { $b }`, or roll it back with `crmwb imports undo { $b }`.
cli-see-why = See why: crmwb imports show { $b }
cli-progress = { $read } rows, { $imported } imported, { $rejected } rejected
cli-progress-idx = ; rebuilding indexes { $done }/{ $total }

## Command line: demo
demo-building = Building the demo database at { $path }
demo-file = { $read } rows: { $imported } imported, { $warned } with warnings, { $rejected } rejected
demo-dates = {" "} dates moved by { $days } days so that follow-ups fall due around today ({ $today })
demo-from = {" "} reminders from { $from }: older planned dates are history (as `import --reminders-from { $from }`)
demo-dups = {" "} duplicates found: { $n } clusters wait for review
demo-team = {" "} the team ({ $n } users; you, { $me }, are the admin; try one with --as LOGIN):
demo-reports = , reports to { $m }
demo-owns = , owns { $n } customers

## Command line: follow-ups
cli-fu-overdue = OVERDUE
cli-fu-today = TODAY
cli-fu-upcoming = upcoming
cli-fu-counts = { $overdue } overdue, { $today } due today, { $upcoming } upcoming (today is { $date })
cli-fu-late = { $n }d late
cli-fu-in = in { $n }d
cli-fu-snoozed = {" "}(snoozed until { $day })
cli-fu-no-open = { $number }: no open reminders; the follow-up is logged
cli-fu-done = { $number }: done [{ $rule }] { $reason }
cli-fu-logged = { $number }: interaction { $id } logged on { $at }; last follow-up { $last }, next follow-up { $next }
cli-fu-none-planned = (none planned)
cli-fu-snoozed-line = { $number }: [{ $rule }] snoozed until { $until }: { $reason }

## Command line: matching and review
cli-match-run = Match run { $id } — { $mode }{ $why }: { $customers } customers, { $compared } compared
cli-match-pairs = Candidate pairs: { $pairs } (prior match rate among all pairs { $prior })
cli-match-col-key = blocking key
cli-match-col-blocks = blocks
cli-match-col-pairs = pairs
cli-match-col-split = split
cli-match-col-skipped = skipped
cli-match-bands = Bands: { $matched } match (≥ { $auto }), { $review } review (≥ { $rt }), { $non } non-match
cli-match-clusters = Clusters: { $open } open ({ $new } new, { $superseded } superseded){ $auto }
cli-match-auto = ; { $n } merged automatically
cli-match-ambiguous = { $n ->
        [one] 1 customer fits
       *[other] { $n } customers fit
    } two customers that are kept apart about equally well: left out of every cluster rather than merged into the wrong one (their pairs: `crmwb match --pairs-csv FILE`)
cli-match-time = Time: { $total } s ({ $parts })
cli-match-review = Review with: crmwb queue
cli-queue-none = No open clusters. Run `crmwb match` after importing.
cli-queue-cluster = Cluster { $id }  score { $score } ({ $bits } bits)  { $n } customers{ $skipped }
cli-queue-skipped = {" "} (skipped)
cli-queue-total = { $n } open clusters. Decide with: crmwb review approve|reject|skip CLUSTER
cli-review-approved = Cluster { $cluster }: { $merged } merged into { $survivor }{ $apart }
cli-review-apart = ; { $numbers } kept apart
cli-review-rejected = Cluster { $cluster }: { $numbers } remembered as different customers
cli-review-unrejected = Cluster { $cluster }: { $numbers } are in the queue again (the reject is taken back)
cli-review-skipped = Cluster { $cluster }: skipped, it stays at the end of the queue
cli-review-none-min = No open clusters with score ≥ { $min }.
cli-review-ask = Merge { $n } clusters with score ≥ { $min }? [y/N]{" "}
cli-review-nothing = Nothing merged.
cli-review-refused = Cluster { $cluster }: not merged: { $why }
cli-review-total = { $done } clusters merged, { $refused } refused
demo-kept = demo database kept at { $path }
demo-open = Open it with: crmwb --db { $path } tui   (as a team member: --as LOGIN)

## The audit history, as sentences
hist-by-as = { $actor } (by { $real } --as)
hist-reason = {" "}(reason { $r })
hist-counts = { $read } rows read, { $imported } imported, { $updated } updated, { $unchanged } unchanged, { $rejected } rejected
hist-status = status { $from } → { $to }
hist-contract = , contract { $no }
hist-signed = {" "}signed { $on }
hist-edited-none = edited (no field changed)
hist-edited-own-rows = typed in as shown: { $fields } now the customer's own (it stays at an unmerge)
hist-created = created: { $name } ({ $n } fields)
hist-contact = contact added: { $name }{ $title }
hist-interaction = { $kind } on { $at }: { $summary }
hist-with = {" "}(with { $c })
hist-last-fu = last follow-up
hist-next-fu = next follow-up
hist-fu-done = follow-up done{ $rules }: { $note }
hist-snoozed = reminders snoozed{ $rules } for { $length } until { $until }
hist-unsnoozed = snooze undone{ $rules }: back as it was before
hist-merge = merged { $absorbed } into { $survivor } (merge { $merge })
hist-merged-into = merged into { $survivor } (merge { $merge })
hist-unmerge-undone = merge { $merge } undone on { $survivor }
hist-unmerge-split = merge { $merge } split on { $survivor }
hist-kept-edited = ; kept as edited: { $fields }
hist-unmerged = split out of { $survivor } (merge { $merge } undone)
hist-source-move = source record { $source } { $key } moved from { $from } to { $to }
hist-approve = duplicates approved: { $merged } merged into { $survivor }
hist-left-out = ; left out:{" "}
hist-reject = not duplicates: { $members }
hist-skip = cluster skipped for later
hist-drop = { $dropped } left out of the cluster
hist-match-run = duplicates searched ({ $mode }): { $pairs } pairs, { $open } clusters open
hist-import = import from { $source } ({ $status }): { $counts }
hist-import-resumed = resumed import from { $source } ({ $status }): { $counts }
hist-stopped = ; stopped: { $err }
hist-import-undo = import from { $source } ({ $file }) undone: { $removed } customers removed, { $restored } restored{ $chunks }
hist-import-undo-chunks = {" "}({ $n } chunks)
hist-import-undo-begun = undo of import from { $source } ({ $file }) begun: { $removed } customers to remove, { $restored } to restore
hist-erase = personal data erased{ $reason }

## Command line: merges
cli-merge-dry = Dry run: nothing changed.
cli-merge-done = Merge { $id }: { $absorbed } absorbed into { $survivor }. Undo with `crmwb unmerge { $survivor }`.
cli-merge-survivor = Survivor: { $number }  { $name }  ({ $rule })
cli-merge-absorbed = Absorbed: { $number }  { $name }
cli-merge-col-field = field
cli-merge-col-value = value
cli-merge-col-from = from
cli-merge-col-why = why
cli-merge-col-others = other values
cli-merge-kept = (* changes the survivor.) Kept: { $pm } phones moved + { $pc } identical collapsed, { $em } e-mails + { $ec } collapsed, { $cm } contacts + { $cc } collapsed, { $im } interactions, { $sm } source records, { $cv } custom values added.
cli-unmerge-whole = Merge { $merge } undone: { $restored } restored beside { $survivor }.
cli-unmerge-split = { $restored } split out of merge { $merge }; the rest stay merged into { $survivor }.
cli-unmerge-kept = Edited after the merge, kept on { $survivor }: { $fields }.
cli-unmerge-back = Cluster { $c } is back in the review queue (`crmwb queue`).

## Command line: batches
cli-no-imports = No imports yet.
cli-batch-col-batch = batch
cli-batch-col-source = source
cli-batch-col-file = file
cli-batch-col-status = status
cli-batch-col-read = read
cli-batch-col-imported = imported
cli-batch-col-updated = updated
cli-batch-col-same = same
cli-batch-col-warned = warned
cli-batch-col-rejected = rejected
cli-batch-col-started = started
cli-batch-from = Reminders from { $d }: its customers' events before that day are history, not due.
cli-batch-every = Reminders: every date counts (imported without --reminders-from).
cli-batch-blank =
    { $n ->
        [one] 1 blank row was passed over (not data, not rejected).
       *[other] { $n } blank rows were passed over (not data, not rejected).
    }
cli-batch-clean = No warnings or rejections.
cli-batch-issue = row { $row }{ $col }: { $severity } [{ $rule }] { $message }

## Command line: customers
cli-cust-col-number = number
cli-cust-col-name = name
cli-cust-col-status = status
cli-cust-col-owner = owner
cli-cust-col-city = city
cli-cust-col-mobile = mobile
cli-cust-col-flags = flags
cli-cust-none = No customers yet: import a file with `crmwb import FILE --source NAME`.
cli-cust-no-match = No customer matches.
cli-cust-flags = flags: { $flags }
cli-cust-phones = Phones and e-mails:
cli-cust-primary = {" "}(primary)
cli-cust-email = email
cli-cust-contacts = Contacts:
cli-cust-interactions = Interactions:
cli-cust-sources = Source records (raw, as imported):
cli-cust-source = { $source } #{ $key } (batch { $batch }, row { $row })
cli-cust-history = History:

## Command line: quality
cli-q-head = Data quality: { $customers } customers, { $rows } source rows, { $flagged } flagged 待完善
cli-q-targets = Targets (domain.md)
cli-q-col-field = field
cli-q-col-filled = filled
cli-q-col-complete = complete
cli-q-col-invalid = invalid
cli-q-col-validity = validity
cli-q-sample = Sample of { $pct } (seed { $seed }): { $n } customers
cli-q-derived = (no source value: derived or default)

## Command line: the rest
cli-shared = { $path }: shared with group { $g } (0660)
cli-created = { $path }: created; { $admin } is its admin
cli-rejected-written = Rejected rows written to { $path }
cli-batch-from-set = Batch { $batch }: reminders from { $d }; events of its { $n } customers before that day are history
cli-batch-every-set = Batch { $batch }: every date of its { $n } customers counts
cli-keymap-ok = { $name }: ok ({ $n } bindings)
cli-exists = exists
cli-not-yet = not created yet
cli-no-config = no config directory for this user
cli-added = { $number }  { $name } added
cli-nothing-changed = { $number }: nothing changed
cli-warning-rule = warning [{ $rule }] { $message }

## Command line: administration
cli-user-added = { $login } added as { $role }
cli-user-role = { $login } is now { $role }
cli-user-manager = { $login }'s manager: { $manager }
cli-user-name = { $login }'s name: { $name }
cli-user-disabled = { $login } disabled
cli-user-enabled = { $login } enabled
cli-backup = { $db }: backed up to { $file } ({ $bytes } bytes)
cli-upgrading = crmwb: upgrading the database from schema { $from } to { $to }: copying it aside first (once)…
cli-upgraded = crmwb: upgraded the database from schema { $from } to { $to } (once); the database as it was is kept at { $backup }
cli-copying = crmwb: { $what }: { $percent }% ({ $mb } of { $total_mb } MiB)
cli-copying-upgrade = copying the database aside
cli-copying-backup = backing up
cli-copying-restore = saving the current content, then restoring
cli-check-ok = { $path }: ok (schema version { $v })
cli-check-head = audit head given: contained in the trail
cli-check-problems = { $path }: { $n } problems
cli-trail = audit trail: { $n } entries; head { $head }
cli-trail-none = none (no entries yet)

# The merge preview of marked customers (Customers pane, `M`) and the
# reasons a merged field's value was chosen (also `crmwb merge --dry-run`).
merge-prev-head = Merge { $n } customers into { $number } { $name } — the { $rule }:
merge-prev-oldest = oldest customer (first number issued)
merge-prev-chosen = chosen
merge-prev-same = The merged record: the survivor's values, unchanged.
merge-prev-changes = The merged record (* changes the survivor):
merge-prev-also = ; also { $values }
merge-prev-more = {"  "}… { $k } more fields differ (`crmwb merge --dry-run` lists all)
merge-prev-kept = { $same ->
        [one] 1 other field
       *[other] { $same } other fields
    } agree. Kept: { $phones ->
        [one] 1 phone
       *[other] { $phones } phones
    }, { $emails ->
        [one] 1 e-mail
       *[other] { $emails } e-mails
    }, { $contacts ->
        [one] 1 contact
       *[other] { $contacts } contacts
    }, { $interactions ->
        [one] 1 interaction
       *[other] { $interactions } interactions
    }, { $sources ->
        [one] 1 source record
       *[other] { $sources } source records
    }; undo splits them again.
why-picked = picked
why-agreed = all agree
why-empty = no value
why-follows = follows { $leader }

# `/` with the number of a customer merged away: the survivor is shown.
search-merged-into = { $typed } was merged into { $number }

# `/` inside help: the keys whose key, description or action name hold the text.
help-search = / { $q }   ({ $n ->
        [one] 1 key
       *[other] { $n } keys
    }; Enter keeps it, Esc shows all)
help-search-none = No key matches "{ $q }".

# What a new customer shares with an existing one (the `n` duplicate warning).
value-shared-name = name
value-shared-mobile = mobile
value-shared-email = e-mail
