"""What the audit log and the runs of the centre's jobs say, in the reader's words: actions, outcomes,
the kinds of object acted on, and the system's own actors (the dispatcher, the set-up ...)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

OUTCOMES = {"ok": _l("Done"), "denied": _l("Refused"), "failed": _l("Failed"), "throttled": _l("Throttled"),
           "refused": _l("Refused")}
ACTIONS = {
    "access_denied": _l("Page or record refused"), "api_scope_denied": _l("API scope refused"),
    "api_token_issued": _l("API token issued"), "api_token_refused": _l("API token refused"),
    "api_token_revoked": _l("API token revoked"), "background_job_submitted": _l("Background job started"),
    "call_transfer": _l("Call transferred"), "callback_created": _l("Callback promised"),
    "callback_taken": _l("Callback taken by an agent"), "click_to_call": _l("Click-to-call"),
    "customer_created": _l("Customer created"), "customer_erased": _l("Customer erased"),
    "customers_merged": _l("Customers merged"), "customer_updated": _l("Customer updated"),
    "ticket_reference_added": _l("Reference from another system added"),
    "customer_erasure_refused": _l("Customer erasure refused"), "daily_summary_sent": _l("Daily summary sent"),
    "dial_refused": _l("Number refused by the dialling policy"), "export_downloaded": _l("Export downloaded"),
    "form_changed": _l("Intake form changed"), "keyword_rule_added": _l("Keyword rule added"),
    "keyword_rule_changed": _l("Keyword rule changed"), "keyword_rules_applied": _l("Keyword rules re-applied"),
    "monitor_refused": _l("Monitoring refused"), "password_changed": _l("Password changed"),
    "qa_audio_played": _l("QA audio played"), "qa_call_denied": _l("QA call refused"),
    "qa_review_saved": _l("QA review saved"), "queue_monitoring": _l("Queue monitoring changed"),
    "recording_denied": _l("Recording refused"), "recording_played": _l("Recording played"),
    "retention_purge": _l("Retention purge"), "retention_purge_requested": _l("Retention purge requested"),
    "scorecard_changed": _l("Scorecard changed"), "sign_in": _l("Sign-in"), "sign_out": _l("Sign-out"),
    "ticket_assigned": _l("Ticket assigned"), "ticket_call_attached": _l("Call attached to a ticket"),
    "ticket_changed": _l("Ticket changed"), "ticket_created": _l("Ticket created"),
    "ticket_note_added": _l("Note added to a ticket"), "tickets_exported": _l("Tickets exported"),
    "user_created": _l("User created"), "user_deactivated": _l("User deactivated"),
    "user_extension_changed": _l("Extension changed"), "user_reactivated": _l("User reactivated"),
    "user_role_changed": _l("Role changed"),
    # Many tickets about one problem (callcenter/problems/).
    "ticket_linked": _l("Ticket linked to a problem"), "ticket_unlinked": _l("Ticket unlinked from its problem"),
    "problem_solved": _l("Problem solved"), "ticket_merged": _l("Tickets merged"),
    "ticket_merge_undone": _l("Merge undone"), "bulk_submitted": _l("Bulk change asked"),
    "bulk_cancelled": _l("Bulk change cancelled"), "incident_declared": _l("Incident declared"),
    "incident_ended": _l("Incident ended"), "incident_dismissed": _l("Incident proposal dismissed"),
    # Outbound webhooks (callcenter/webhooks/).
    "webhook_added": _l("Webhook endpoint added"), "webhook_changed": _l("Webhook endpoint changed"),
    "webhook_removed": _l("Webhook endpoint removed"), "webhook_secret_rotated": _l("Webhook secret replaced"),
    "webhook_replayed": _l("Webhook deliveries sent again"), "webhook_failing": _l("Webhook endpoint failing"),
    # The centre's people and codes (callcenter/people).
    "user_edited": _l("User details changed"), "user_password_reset": _l("Password reset"),
    "user_team_changed": _l("Team of a user changed"), "team_created": _l("Team made"),
    "team_renamed": _l("Team renamed"), "team_lead_changed": _l("Team lead changed"),
    "team_deleted": _l("Team deleted"), "agent_profile_changed": _l("Agent profile changed"),
    "presence_queues_changed": _l("Signed-in queues changed by an admin"), "skill_created": _l("Skill added"),
    "skill_edited": _l("Skill changed"), "skill_retired": _l("Skill retired"), "skill_restored": _l("Skill restored"),
    "wrapup_code_created": _l("Wrap-up code added"), "wrapup_code_edited": _l("Wrap-up code changed"),
    "wrapup_code_retired": _l("Wrap-up code retired"), "wrapup_code_restored": _l("Wrap-up code restored"),
    "wrapup_code_moved": _l("Wrap-up code moved"), "agents_imported": _l("Agents imported from a file"),
    # A ticket's conversation (callcenter/conversations).
    "message_received": _l("Message received"), "message_queued": _l("Reply queued"),
    "attachment_downloaded": _l("Attachment downloaded"),
    # The SMS gateway's receipt (callcenter/channels/sms.py).
    "message_delivered": _l("Reply delivered to the phone"),
    # The channels (callcenter/channels): replies sent or given up, addresses that bounce, robots caught.
    "message_sent": _l("Reply sent"), "message_failed": _l("Reply could not be sent"),
    "email_bounced": _l("E-mail address bounced"), "webform_trapped": _l("Web form robot caught"),
    "customer_identity_added": _l("Customer identifier added"),
    # Set-up and the call's story, labelled late.
    "call_no_ticket": _l("Call closed without a ticket"), "form_activated": _l("Intake form activated"),
    "queue_created": _l("Queue added"), "queue_changed": _l("Queue changed"),
    "queue_discovered": _l("Queue found on the PBX"), "queue_reinstated": _l("Queue reinstated"),
    # The knowledge base (callcenter/knowledge/).
    "article_saved": _l("Article saved"), "article_status_changed": _l("Article published, archived or drafted"),
    "knowledge_category_saved": _l("Knowledge category saved"), "question_added": _l("Article question added"),
    "question_reviewed": _l("Article question reviewed"), "suggestion_marked": _l("Suggestion rated"),
    "article_linked": _l("Article noted on a ticket"),
    # Auto-reply (callcenter/knowledge/autoreply.py, answers.py).
    "auto_reply_sent": _l("Answered automatically with an article"),
    "auto_reply_answered": _l("Customer answered an automatic answer"),
    "questions_changed": _l("Article questions changed"), "dictionary_word_added": _l("Dictionary word added"),
    "dictionary_word_removed": _l("Dictionary word removed"),
    "knowledge_calibrated": _l("Suggestions calibrated"), "knowledge_imported": _l("Articles imported from a file"),
    # Reply templates and macros (callcenter/conversations/templates.py).
    "template_created": _l("Reply template added"), "template_changed": _l("Reply template changed"),
    "template_variant_saved": _l("Reply template text saved"),
    "template_variant_removed": _l("Reply template text removed"),
    "template_deactivated": _l("Reply template deactivated"), "template_reactivated": _l("Reply template restored"),
    # Automation rules, approvals, customer tags and segments (callcenter/automation/, customers/).
    "automation_rule_created": _l("Automation rule added"), "automation_rule_changed": _l("Automation rule changed"),
    "automation_rule_deleted": _l("Automation rule removed"), "approval_requested": _l("Approval asked for"),
    "approval_approved": _l("Approval given"), "approval_rejected": _l("Approval refused"),
    "customer_tag_added": _l("Customer tag added"), "customer_tag_changed": _l("Customer tag changed"),
    "customer_tag_removed": _l("Customer tag removed"), "customer_tag_expired": _l("Customer tag expired"),
    "segment_created": _l("Customer segment added"), "segment_changed": _l("Customer segment changed"),
    "segment_deleted": _l("Customer segment removed"),
}
OBJECT_TYPES = {"api": _l("API"), "api_token": _l("API token"), "background_job": _l("Background job"),
                "call": _l("Call"), "callback": _l("Callback"), "click_call": _l("Click-to-call"),
                "customer": _l("Customer"), "endpoint": _l("Page"), "form": _l("Intake form"),
                "keyword_rule": _l("Keyword rule"), "number": _l("Number"), "queue": _l("Queue"),
                "recording": _l("Recording"), "retention": _l("Retention"), "scorecard": _l("Scorecard"),
                "summary": _l("Daily summary"), "ticket": _l("Ticket"), "user": _l("User"), "agent": _l("Agent"),
                "team": _l("Team"), "skill": _l("Skill"), "wrapup_code": _l("Wrap-up code"),
                "import": _l("Import"), "attachment": _l("Attachment"), "reply_template": _l("Reply template"),
                "calibration": _l("Calibration"), "automation_rule": _l("Automation rule"),
                "segment": _l("Customer segment")}
# Who acted, when it was no person (``Actor.system``); "cli:<user>" is someone at the command line.
SYSTEM_ACTORS = {"system": _l("system"), "dispatcher": _l("dispatcher"), "setup": _l("setup"),
                 "form-files": _l("form files"), "keyword-rules": _l("keyword rules"),
                 "background": _l("background worker"), "preview": _l("preview"), "ivr": _l("IVR"),
                 "auto-reply": _l("auto-reply"), "customer": _l("the customer"), "automation": _l("automation")}
RUN_OUTCOMES = {"done": _l("Done"), "failed": _l("Failed"), "skipped": _l("Skipped"), "running": _l("Running")}


def actor(name: str | None) -> str:
    """An audit row's or a run's actor: a person's username as it is, the system's actors by their label."""
    if not name:
        return "—"
    if name.startswith("cli:"):
        return str(_l("%(name)s at the command line", name=name[4:]))
    found = SYSTEM_ACTORS.get(name)
    return str(found) if found is not None else name
