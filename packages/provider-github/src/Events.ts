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
import { DecodeFailed, Provider } from "@hookline/core/provider"
import * as Effect from "effect/Effect"
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
  ref: Schema.String,
  /** The commit SHA before and after the push (all zeros when the ref was created / deleted). */
  before: Schema.String,
  after: Schema.String,
  created: Schema.Boolean,
  deleted: Schema.Boolean,
  forced: Schema.Boolean,
  /** The pushed commits (at most 2048 in one delivery): SHA and message. */
  commits: Schema.Array(Schema.Struct({ id: Schema.String, message: Schema.String })),
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
  delivery: Schema.String,
  action: Schema.String,
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
  }),
  repository: Repository,
  sender: Account
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
export const Issues = Schema.TaggedStruct("Issues", {
  delivery: Schema.String,
  action: Schema.String,
  issue: Issue,
  repository: Repository,
  sender: Account
})

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
  delivery: Schema.String,
  action: Schema.String,
  issue: Issue,
  comment: Schema.Struct({ id: Id, body: Schema.String }),
  repository: Repository,
  sender: Account
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
  delivery: Schema.String,
  action: Schema.String,
  release: Schema.Struct({
    id: Id,
    tagName: Schema.String,
    name: Schema.NullOr(Schema.String),
    draft: Schema.Boolean,
    prerelease: Schema.Boolean
  }),
  repository: Repository,
  sender: Account
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
  delivery: Schema.String,
  action: Schema.String,
  workflowRun: Schema.Struct({
    id: Id,
    name: Schema.NullOr(Schema.String),
    status: Schema.NullOr(Schema.String),
    /** `success`, `failure`, … once completed, else `null`. */
    conclusion: Schema.NullOr(Schema.String),
    headSha: Schema.String,
    headBranch: Schema.NullOr(Schema.String),
    runNumber: Schema.Number
  }),
  repository: Repository,
  sender: Account
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
  installation: Schema.Struct({
    id: Id,
    /** The user or organisation; an enterprise installation's account has no `login`. */
    account: Schema.Struct({ id: Id, login: Schema.optionalKey(Schema.String) })
  }),
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

interface Member {
  /** Top-level keys a body of this event never has, though a body of a similar event does. */
  readonly excludes: ReadonlyArray<string>
  readonly decode: (payload: Payload) => Effect.Effect<Event, DecodeFailed>
}

const member = <W>(
  wire: Schema.Decoder<W>,
  toEvent: (wire: W, delivery: string) => Event,
  excludes: ReadonlyArray<string> = []
): Member => {
  const decodeWire = Provider.decodeWith(wire)
  return {
    excludes,
    decode: (payload) => Effect.map(decodeWire(payload.body), (decoded) => toEvent(decoded, payload.delivery))
  }
}

const members: { readonly [event: string]: Member } = {
  ping: member(
    Schema.Struct({ zen: Schema.String, hook_id: Id, repository: Schema.optionalKey(WireRepository) }),
    (wire, delivery) => ({
      _tag: "Ping",
      delivery,
      zen: wire.zen,
      hookId: wire.hook_id,
      ...(wire.repository === undefined ? {} : { repository: repository(wire.repository) })
    })
  ),
  push: member(
    Schema.Struct({
      ref: Schema.String,
      before: Schema.String,
      after: Schema.String,
      created: Schema.Boolean,
      deleted: Schema.Boolean,
      forced: Schema.Boolean,
      commits: Schema.Array(Schema.Struct({ id: Schema.String, message: Schema.String })),
      repository: WireRepository,
      sender: WireAccount
    }),
    (wire, delivery) => ({
      _tag: "Push",
      delivery,
      ref: wire.ref,
      before: wire.before,
      after: wire.after,
      created: wire.created,
      deleted: wire.deleted,
      forced: wire.forced,
      commits: wire.commits.map(({ id, message }) => ({ id, message })),
      repository: repository(wire.repository),
      sender: wire.sender
    })
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
    (wire, delivery) => ({
      _tag: "PullRequest",
      delivery,
      action: wire.action,
      number: Number(wire.number),
      pullRequest: {
        id: wire.pull_request.id,
        title: wire.pull_request.title,
        state: wire.pull_request.state,
        merged: wire.pull_request.merged === true,
        headSha: wire.pull_request.head.sha,
        baseRef: wire.pull_request.base.ref,
        htmlUrl: wire.pull_request.html_url
      },
      repository: repository(wire.repository),
      sender: wire.sender
    }),
    // pull_request_review, pull_request_review_comment and pull_request_review_thread bodies carry
    // a `pull_request` too: one replayed as `pull_request` is refused, not read as a PR event.
    ["review", "comment", "thread"]
  ),
  issues: member(
    Schema.Struct({ ...withAction, issue: WireIssue }),
    (wire, delivery) => ({
      _tag: "Issues",
      delivery,
      action: wire.action,
      issue: issue(wire.issue),
      repository: repository(wire.repository),
      sender: wire.sender
    }),
    // An issue_comment body carries an `issue` too.
    ["comment"]
  ),
  issue_comment: member(
    Schema.Struct({ ...withAction, issue: WireIssue, comment: Schema.Struct({ id: Id, body: Schema.String }) }),
    (wire, delivery) => ({
      _tag: "IssueComment",
      delivery,
      action: wire.action,
      issue: issue(wire.issue),
      comment: { id: wire.comment.id, body: wire.comment.body },
      repository: repository(wire.repository),
      sender: wire.sender
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
    (wire, delivery) => ({
      _tag: "Release",
      delivery,
      action: wire.action,
      release: {
        id: wire.release.id,
        tagName: wire.release.tag_name,
        name: wire.release.name,
        draft: wire.release.draft,
        prerelease: wire.release.prerelease
      },
      repository: repository(wire.repository),
      sender: wire.sender
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
    (wire, delivery) => ({
      _tag: "WorkflowRun",
      delivery,
      action: wire.action,
      workflowRun: {
        id: wire.workflow_run.id,
        name: wire.workflow_run.name,
        status: wire.workflow_run.status,
        conclusion: wire.workflow_run.conclusion,
        headSha: wire.workflow_run.head_sha,
        headBranch: wire.workflow_run.head_branch,
        runNumber: Number(wire.workflow_run.run_number)
      },
      repository: repository(wire.repository),
      sender: wire.sender
    })
  ),
  installation: member(
    Schema.Struct({
      action: Schema.String,
      installation: Schema.Struct({
        id: Id,
        account: Schema.Struct({ id: Id, login: Schema.optionalKey(Schema.String) })
      }),
      sender: WireAccount
    }),
    (wire, delivery) => ({
      _tag: "Installation",
      delivery,
      action: wire.action,
      installation: {
        id: wire.installation.id,
        account: {
          id: wire.installation.account.id,
          ...(wire.installation.account.login === undefined ? {} : { login: wire.installation.account.login })
        }
      },
      sender: wire.sender
    }),
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
export const decode = (payload: Payload): Effect.Effect<Event, DecodeFailed> => {
  const known = Object.hasOwn(members, payload.event) ? members[payload.event] : undefined
  if (known === undefined) {
    const action = payload.body["action"]
    return Effect.succeed({
      _tag: "Unknown",
      delivery: payload.delivery,
      event: payload.event,
      ...(typeof action === "string" ? { action } : {}),
      body: payload.body as Schema.JsonObject
    })
  }
  const foreign = known.excludes.find((key) => Object.hasOwn(payload.body, key))
  return foreign === undefined
    ? known.decode(payload)
    : Effect.fail(
      new DecodeFailed({
        message: `X-GitHub-Event ${payload.event} does not match the body: it has "${foreign}", which a ` +
          `${payload.event} body never has (the event header is not signed)`
      })
    )
}
