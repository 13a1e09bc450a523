/**
 * The events of GitHub webhooks, decoded from a verified {@link Payload}: the event name
 * (`X-GitHub-Event`) picks the member, the body must fit it. The common events are typed with a
 * handful of fields each; every other event name is `Unknown` (acknowledged, body kept).
 *
 * Events are a `_tag` tagged union (`Push`, `PullRequest`, …): handler maps are keyed by `_tag`
 * (see {@link tags} for GitHub's event name of each). Ids are strings of decimal digits — exact,
 * whatever their size (GitHub's ids are 64-bit) — and never a `number`.
 *
 * @since 0.1.0
 */
import { type DecodeFailed, Provider } from "@hookline/core/provider"
import type * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import type { Payload } from "./Provider.ts"

/**
 * A GitHub id (repository, issue, pull request, release, run, installation, user…): the exact
 * decimal digits, `"820982911946154508"`. A string, not a `number` (ids may exceed 2^53) and not a
 * `bigint` (strings serialise to JSON, logs and databases unchanged).
 *
 * @since 0.1.0
 * @category schemas
 */
export const Id = Schema.String.check(Schema.isPattern(/^(?:0|[1-9]\d*)$/, { expected: "an id of decimal digits" }))

// A small counter (issue / pull request / run number): digits that fit a double exactly.
const Count = Schema.String.check(Schema.isPattern(/^(?:0|[1-9]\d{0,14})$/, { expected: "a number below 10^15" }))

/**
 * The repository an event is about.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Repository = Schema.Struct({ id: Id, fullName: Schema.String })

/**
 * @since 0.1.0
 * @category models
 */
export interface Repository extends Schema.Schema.Type<typeof Repository> {}

/**
 * A user or organisation (`sender`, installation `account`).
 *
 * @since 0.1.0
 * @category schemas
 */
export const Account = Schema.Struct({ id: Id, login: Schema.String })

/**
 * @since 0.1.0
 * @category models
 */
export interface Account extends Schema.Schema.Type<typeof Account> {}

const Issue = Schema.Struct({ id: Id, number: Schema.Number, title: Schema.String, state: Schema.String })

// The fields of every event with an `action` on a repository: `X-GitHub-Delivery`, the action, the
// repository and the sender.
const actionFields = { delivery: Schema.String, action: Schema.String, repository: Repository, sender: Account }

// The body fields of a push, on the wire and decoded alike.
const pushFields = {
  ref: Schema.String,
  /** The commit SHA before and after the push (all zeros when the ref was created / deleted). */
  before: Schema.String,
  after: Schema.String,
  created: Schema.Boolean,
  deleted: Schema.Boolean,
  forced: Schema.Boolean,
  /** The pushed commits (at most 2048 in one delivery): SHA and message. */
  commits: Schema.Array(Schema.Struct({ id: Schema.String, message: Schema.String }))
}

// An App installation, on the wire and decoded alike.
const InstallationInfo = Schema.Struct({
  id: Id,
  /** The user or organisation; an enterprise installation's account has no `login`. */
  account: Schema.Struct({ id: Id, login: Schema.optionalKey(Schema.String) })
})

/**
 * `ping`: sent once when a webhook is created.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Ping = Schema.TaggedStruct("Ping", {
  /** `X-GitHub-Delivery`. */
  delivery: Schema.String,
  zen: Schema.String,
  hookId: Id,
  /** Absent for an organisation or app hook. */
  repository: Schema.optionalKey(Repository)
})

/**
 * @since 0.1.0
 * @category models
 */
export interface Ping extends Schema.Schema.Type<typeof Ping> {}

/**
 * `push`: commits pushed to a branch or tag (`ref` is `refs/heads/…` or `refs/tags/…`).
 *
 * @since 0.1.0
 * @category schemas
 */
export const Push = Schema.TaggedStruct("Push", {
  delivery: Schema.String,
  ...pushFields,
  repository: Repository,
  sender: Account
})

/**
 * @since 0.1.0
 * @category models
 */
export interface Push extends Schema.Schema.Type<typeof Push> {}

/**
 * `pull_request` with its `action` (`opened`, `closed`, `synchronize`, …; not narrowed, GitHub adds
 * actions).
 *
 * @since 0.1.0
 * @category schemas
 */
export const PullRequest = Schema.TaggedStruct("PullRequest", {
  ...actionFields,
  number: Schema.Number,
  pullRequest: Schema.Struct({
    id: Id,
    title: Schema.String,
    state: Schema.String,
    /** `true` once merged (with `action: "closed"`). */
    merged: Schema.Boolean,
    headSha: Schema.String,
    baseRef: Schema.String,
    htmlUrl: Schema.String
  })
})

/**
 * @since 0.1.0
 * @category models
 */
export interface PullRequest extends Schema.Schema.Type<typeof PullRequest> {}

/**
 * `issues` with its `action` (`opened`, `closed`, `labeled`, …).
 *
 * @since 0.1.0
 * @category schemas
 */
export const Issues = Schema.TaggedStruct("Issues", { ...actionFields, issue: Issue })

/**
 * @since 0.1.0
 * @category models
 */
export interface Issues extends Schema.Schema.Type<typeof Issues> {}

/**
 * `issue_comment` (on an issue or a pull request) with its `action` (`created`, `edited`, `deleted`).
 *
 * @since 0.1.0
 * @category schemas
 */
export const IssueComment = Schema.TaggedStruct("IssueComment", {
  ...actionFields,
  issue: Issue,
  comment: Schema.Struct({ id: Id, body: Schema.String })
})

/**
 * @since 0.1.0
 * @category models
 */
export interface IssueComment extends Schema.Schema.Type<typeof IssueComment> {}

/**
 * `release` with its `action` (`published`, `created`, `released`, …).
 *
 * @since 0.1.0
 * @category schemas
 */
export const Release = Schema.TaggedStruct("Release", {
  ...actionFields,
  release: Schema.Struct({
    id: Id,
    tagName: Schema.String,
    name: Schema.NullOr(Schema.String),
    draft: Schema.Boolean,
    prerelease: Schema.Boolean
  })
})

/**
 * @since 0.1.0
 * @category models
 */
export interface Release extends Schema.Schema.Type<typeof Release> {}

/**
 * `workflow_run` with its `action` (`requested`, `in_progress`, `completed`).
 *
 * @since 0.1.0
 * @category schemas
 */
export const WorkflowRun = Schema.TaggedStruct("WorkflowRun", {
  ...actionFields,
  workflowRun: Schema.Struct({
    id: Id,
    name: Schema.NullOr(Schema.String),
    status: Schema.NullOr(Schema.String),
    /** `success`, `failure`, … once completed, else `null`. */
    conclusion: Schema.NullOr(Schema.String),
    headSha: Schema.String,
    headBranch: Schema.NullOr(Schema.String),
    runNumber: Schema.Number
  })
})

/**
 * @since 0.1.0
 * @category models
 */
export interface WorkflowRun extends Schema.Schema.Type<typeof WorkflowRun> {}

/**
 * `installation` (a GitHub App) with its `action` (`created`, `deleted`, `suspend`, …).
 *
 * @since 0.1.0
 * @category schemas
 */
export const Installation = Schema.TaggedStruct("Installation", {
  delivery: Schema.String,
  action: Schema.String,
  installation: InstallationInfo,
  sender: Account
})

/**
 * @since 0.1.0
 * @category models
 */
export interface Installation extends Schema.Schema.Type<typeof Installation> {}

/**
 * An event name this version does not model (`create`, `check_run`, `star`, …), acknowledged like
 * any other: the handler decides. The body is kept, every number as its exact source text.
 *
 * `event` is the **unsigned** `X-GitHub-Event` header: a captured delivery replayed under another
 * unknown event name lands here with the original body (see the provider page's security notes).
 *
 * @since 0.1.0
 * @category schemas
 */
export const Unknown = Schema.TaggedStruct("Unknown", {
  delivery: Schema.String,
  /** `X-GitHub-Event` as sent. */
  event: Schema.String,
  /** The body's `action`, when it is a string. */
  action: Schema.optionalKey(Schema.String),
  body: Schema.JsonObject
})

/**
 * @since 0.1.0
 * @category models
 */
export interface Unknown extends Schema.Schema.Type<typeof Unknown> {}

/**
 * The events of the GitHub provider, with `match`, `guards` and `cases`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Event = Schema.Union([
  Ping,
  Push,
  PullRequest,
  Issues,
  IssueComment,
  Release,
  WorkflowRun,
  Installation,
  Unknown
])
  .pipe(Schema.toTaggedUnion("_tag"))

/**
 * @since 0.1.0
 * @category models
 */
export type Event = Ping | Push | PullRequest | Issues | IssueComment | Release | WorkflowRun | Installation | Unknown

// ---------------------------------------------------------------------------------------------
// The wire: GitHub's snake_case bodies, numbers as their source text (LosslessJson "source").

const WireRepository = Schema.Struct({ id: Id, full_name: Schema.String })
const WireAccount = Schema.Struct({ id: Id, login: Schema.String })
const WireIssue = Schema.Struct({ id: Id, number: Count, title: Schema.String, state: Schema.String })
const withAction = { action: Schema.String, repository: WireRepository, sender: WireAccount }

const repository = (wire: typeof WireRepository.Type): Repository => ({ id: wire.id, fullName: wire.full_name })
const issue = (wire: typeof WireIssue.Type) => ({ ...wire, number: Number(wire.number) })
// The fields of every event with an `action`: the delivery, the action, the repository and sender.
const common = (wire: Schema.Struct.Type<typeof withAction>, delivery: string) => ({
  delivery,
  action: wire.action,
  repository: repository(wire.repository),
  sender: wire.sender
})

const member = Provider.namedMember

const members: { readonly [event: string]: Provider.NamedMember<Event, Payload> } = {
  ping: member(
    Schema.Struct({ zen: Schema.String, hook_id: Id, repository: Schema.optionalKey(WireRepository) }),
    (wire, { delivery }) => ({
      _tag: "Ping",
      delivery,
      zen: wire.zen,
      hookId: wire.hook_id,
      ...(wire.repository === undefined ? {} : { repository: repository(wire.repository) })
    })
  ),
  push: member(
    Schema.Struct({ ...pushFields, repository: WireRepository, sender: WireAccount }),
    // The schema keeps only its own keys: the rest of the body is not copied.
    (wire, { delivery }) => ({ _tag: "Push", delivery, ...wire, repository: repository(wire.repository) })
  ),
  pull_request: member(
    Schema.Struct({
      ...withAction,
      number: Count,
      pull_request: Schema.Struct({
        id: Id,
        title: Schema.String,
        state: Schema.String,
        merged: Schema.optionalKey(Schema.NullOr(Schema.Boolean)),
        head: Schema.Struct({ sha: Schema.String }),
        base: Schema.Struct({ ref: Schema.String }),
        html_url: Schema.String
      })
    }),
    ({ pull_request: { base, head, html_url, merged, ...pr }, ...wire }, { delivery }) => ({
      _tag: "PullRequest",
      ...common(wire, delivery),
      number: Number(wire.number),
      pullRequest: { ...pr, merged: merged === true, headSha: head.sha, baseRef: base.ref, htmlUrl: html_url }
    }),
    // pull_request_review, pull_request_review_comment and pull_request_review_thread bodies carry
    // a `pull_request` too: one replayed as `pull_request` is refused, not read as a PR event.
    ["review", "comment", "thread"]
  ),
  issues: member(
    Schema.Struct({ ...withAction, issue: WireIssue }),
    (wire, { delivery }) => ({ _tag: "Issues", ...common(wire, delivery), issue: issue(wire.issue) }),
    // An issue_comment body carries an `issue` too.
    ["comment"]
  ),
  issue_comment: member(
    Schema.Struct({ ...withAction, issue: WireIssue, comment: Schema.Struct({ id: Id, body: Schema.String }) }),
    (wire, { delivery }) => ({
      _tag: "IssueComment",
      ...common(wire, delivery),
      issue: issue(wire.issue),
      comment: wire.comment
    })
  ),
  release: member(
    Schema.Struct({
      ...withAction,
      release: Schema.Struct({
        id: Id,
        tag_name: Schema.String,
        name: Schema.NullOr(Schema.String),
        draft: Schema.Boolean,
        prerelease: Schema.Boolean
      })
    }),
    ({ release: { tag_name, ...release }, ...wire }, { delivery }) => ({
      _tag: "Release",
      ...common(wire, delivery),
      release: { ...release, tagName: tag_name }
    })
  ),
  workflow_run: member(
    Schema.Struct({
      ...withAction,
      workflow_run: Schema.Struct({
        id: Id,
        name: Schema.NullOr(Schema.String),
        status: Schema.NullOr(Schema.String),
        conclusion: Schema.NullOr(Schema.String),
        head_sha: Schema.String,
        head_branch: Schema.NullOr(Schema.String),
        run_number: Count
      })
    }),
    ({ workflow_run: { head_branch, head_sha, run_number, ...run }, ...wire }, { delivery }) => ({
      _tag: "WorkflowRun",
      ...common(wire, delivery),
      workflowRun: { ...run, headSha: head_sha, headBranch: head_branch, runNumber: Number(run_number) }
    })
  ),
  installation: member(
    Schema.Struct({ action: Schema.String, installation: InstallationInfo, sender: WireAccount }),
    // An absent `login` stays absent (the schema adds no key).
    (wire, { delivery }) => ({ _tag: "Installation", delivery, ...wire }),
    // installation_repositories bodies carry an `installation` too.
    ["repositories_added", "repositories_removed", "repository_selection"]
  )
}

/**
 * GitHub's event name (`X-GitHub-Event`) of each typed member; every other name is `Unknown`.
 *
 * @since 0.1.0
 * @category constants
 */
export const tags = {
  ping: "Ping",
  push: "Push",
  pull_request: "PullRequest",
  issues: "Issues",
  issue_comment: "IssueComment",
  release: "Release",
  workflow_run: "WorkflowRun",
  installation: "Installation"
} as const satisfies { readonly [event: string]: Event["_tag"] }

/**
 * Decodes a verified {@link Payload}: a modelled event name (see {@link tags}) decodes its body
 * with that member's schema — a body that does not fit (a `push` without `ref`/`commits`, a
 * `pull_request` without `pull_request`, or a body with a key only a neighbouring event has, such as
 * an `issues` body with a `comment`) is `DecodeFailed` (500): the name is not signed, so it must
 * agree with the signed body. Any other name is `Unknown` with the body.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decode: (payload: Payload) => Effect.Effect<Event, DecodeFailed> = Provider.decodeByName({
  header: "X-GitHub-Event",
  noun: "event",
  name: (payload) => payload.event,
  members,
  unknown: (payload) => {
    const action = payload.body["action"]
    return {
      _tag: "Unknown",
      delivery: payload.delivery,
      event: payload.event,
      ...(typeof action === "string" ? { action } : {}),
      body: payload.body as Schema.JsonObject
    }
  }
})
