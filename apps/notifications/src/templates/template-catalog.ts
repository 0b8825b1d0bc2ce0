/**
 * The messages shipped with the product, per kind and locale. Plain text with `{{name}}`
 * placeholders only: no expressions, no code, so a template can never execute anything. Every
 * kind declares the variables it offers; an admin's template may use those and no others.
 */
export interface MessageTemplate {
  subject: string;
  body: string;
}

export interface TemplateKindSpec {
  /** Who reads it: customer-facing kinds ship in every supported locale. */
  audience: 'customer' | 'agent';
  variables: readonly string[];
  locales: Record<string, MessageTemplate>;
}

export const DEFAULT_LOCALE = 'en';
export const CUSTOMER_LOCALES = ['en', 'tr', 'el'] as const;

const TICKET = ['reference', 'subject'] as const;

export const TEMPLATE_CATALOG = {
  'ticket.acknowledgment': {
    audience: 'customer',
    variables: [...TICKET, 'customerName', 'responseTime'],
    locales: {
      en: {
        subject: '[{{reference}}] We received your request: {{subject}}',
        body:
          'Hello {{customerName}},\n\n' +
          'Thank you for contacting us. Your request has been received and given the reference {{reference}}.\n' +
          'An agent will get back to you {{responseTime}}. Reply to this email to add anything.\n\n' +
          'Support',
      },
      tr: {
        subject: '[{{reference}}] Talebinizi aldık: {{subject}}',
        body:
          'Merhaba {{customerName}},\n\n' +
          'Bizimle iletişime geçtiğiniz için teşekkür ederiz. Talebiniz alındı ve {{reference}} referans numarası verildi.\n' +
          'Bir temsilcimiz size {{responseTime}} dönüş yapacak. Eklemek istediklerinizi bu e-postayı yanıtlayarak iletebilirsiniz.\n\n' +
          'Destek Ekibi',
      },
      el: {
        subject: '[{{reference}}] Λάβαμε το αίτημά σας: {{subject}}',
        body:
          'Γεια σας {{customerName}},\n\n' +
          'Σας ευχαριστούμε που επικοινωνήσατε μαζί μας. Το αίτημά σας καταχωρήθηκε με αριθμό αναφοράς {{reference}}.\n' +
          'Ένας εκπρόσωπός μας θα σας απαντήσει {{responseTime}}. Απαντήστε σε αυτό το email για να προσθέσετε κάτι.\n\n' +
          'Υποστήριξη',
      },
    },
  },
  'ticket.agent_reply': {
    audience: 'customer',
    variables: [...TICKET, 'customerName', 'agentName', 'message'],
    locales: {
      en: {
        subject: 'Re: [{{reference}}] {{subject}}',
        body: '{{message}}\n\n{{agentName}}\nSupport\n\nReply to this email to answer; please keep [{{reference}}] in the subject.',
      },
      tr: {
        subject: 'Ynt: [{{reference}}] {{subject}}',
        body: '{{message}}\n\n{{agentName}}\nDestek Ekibi\n\nYanıtlamak için bu e-postayı cevaplayın; lütfen konudaki [{{reference}}] ifadesini silmeyin.',
      },
      el: {
        subject: 'Απ: [{{reference}}] {{subject}}',
        body: '{{message}}\n\n{{agentName}}\nΥποστήριξη\n\nΑπαντήστε σε αυτό το email· κρατήστε το [{{reference}}] στο θέμα.',
      },
    },
  },
  'ticket.solved_survey': {
    audience: 'customer',
    variables: [...TICKET, 'customerName', 'surveyUrl'],
    locales: {
      en: {
        subject: '[{{reference}}] We hope this is resolved',
        body:
          'Hello {{customerName}},\n\n' +
          'We hope your request "{{subject}}" is now resolved. How did we do? One click tells us:\n' +
          '{{surveyUrl}}\n\n' +
          'If anything is still wrong, just reply to this email and the ticket reopens.\n\nSupport',
      },
      tr: {
        subject: '[{{reference}}] Sorununuzun çözüldüğünü umuyoruz',
        body:
          'Merhaba {{customerName}},\n\n' +
          '"{{subject}}" talebinizin çözüldüğünü umuyoruz. Hizmetimizi tek tıkla değerlendirebilirsiniz:\n' +
          '{{surveyUrl}}\n\n' +
          'Hâlâ bir sorun varsa bu e-postayı yanıtlamanız yeterli; talebiniz yeniden açılır.\n\nDestek Ekibi',
      },
      el: {
        subject: '[{{reference}}] Ελπίζουμε ότι το θέμα σας επιλύθηκε',
        body:
          'Γεια σας {{customerName}},\n\n' +
          'Ελπίζουμε ότι το αίτημά σας «{{subject}}» επιλύθηκε. Πώς τα πήγαμε; Ένα κλικ αρκεί:\n' +
          '{{surveyUrl}}\n\n' +
          'Αν κάτι δεν πάει καλά, απαντήστε σε αυτό το email και το αίτημα θα ανοίξει ξανά.\n\nΥποστήριξη',
      },
    },
  },
  'ticket.pending_reminder': {
    audience: 'customer',
    variables: [...TICKET, 'customerName'],
    locales: {
      en: {
        subject: '[{{reference}}] We are waiting for your reply',
        body:
          'Hello {{customerName}},\n\n' +
          'We need a little more information to continue with "{{subject}}". Please reply to this email.\n' +
          'Without an answer we will consider the request resolved.\n\nSupport',
      },
      tr: {
        subject: '[{{reference}}] Yanıtınızı bekliyoruz',
        body:
          'Merhaba {{customerName}},\n\n' +
          '"{{subject}}" talebinize devam edebilmemiz için biraz daha bilgiye ihtiyacımız var. Lütfen bu e-postayı yanıtlayın.\n' +
          'Yanıt alamazsak talebinizi çözülmüş sayacağız.\n\nDestek Ekibi',
      },
      el: {
        subject: '[{{reference}}] Περιμένουμε την απάντησή σας',
        body:
          'Γεια σας {{customerName}},\n\n' +
          'Χρειαζόμαστε λίγες ακόμη πληροφορίες για να συνεχίσουμε με το «{{subject}}». Απαντήστε σε αυτό το email.\n' +
          'Αν δεν λάβουμε απάντηση, θα θεωρήσουμε ότι το αίτημα επιλύθηκε.\n\nΥποστήριξη',
      },
    },
  },
  'ticket.assigned': {
    audience: 'agent',
    variables: [...TICKET, 'agentName'],
    locales: {
      en: {
        subject: '[{{reference}}] Assigned to you: {{subject}}',
        body: 'Hello {{agentName}},\n\nTicket {{reference}} ("{{subject}}") is now assigned to you.\n',
      },
    },
  },
  'ticket.reopened': {
    audience: 'agent',
    variables: [...TICKET, 'agentName'],
    locales: {
      en: {
        subject: '[{{reference}}] Reopened: {{subject}}',
        body: 'Hello {{agentName}},\n\nThe customer answered on ticket {{reference}} ("{{subject}}") after it was solved, so it is open again.\n',
      },
    },
  },
  'ticket.reassigned': {
    audience: 'agent',
    variables: [...TICKET, 'leadName', 'previousAgent', 'agentName'],
    locales: {
      en: {
        subject: '[{{reference}}] Reassigned to {{agentName}}: no first response in time',
        body:
          'Hello {{leadName}},\n\n' +
          'Ticket {{reference}} ("{{subject}}") had no first response from {{previousAgent}} in time, ' +
          'so it is now assigned to {{agentName}}.\n',
      },
    },
  },
  'ticket.overflow_stopped': {
    audience: 'agent',
    variables: [...TICKET, 'leadName', 'agentName', 'overflows', 'stopReason'],
    locales: {
      en: {
        subject: '[{{reference}}] Needs you: still unanswered with {{agentName}}',
        body:
          'Hello {{leadName}},\n\n' +
          'Ticket {{reference}} ("{{subject}}") stayed unanswered with {{agentName}} after {{overflows}} hand-over(s), ' +
          'and routing will not pass it on again: {{stopReason}}.\n' +
          'It needs you: answer it, or give it to someone who can.\n',
      },
      tr: {
        subject: '[{{reference}}] Sizi bekliyor: {{agentName}} üzerinde hâlâ yanıtsız',
        body:
          'Merhaba {{leadName}},\n\n' +
          '{{reference}} numaralı talep ("{{subject}}") {{overflows}} devirden sonra {{agentName}} üzerinde yanıtsız kaldı ' +
          've yönlendirme onu artık başkasına aktarmayacak: {{stopReason}}.\n' +
          'Sizin ilgilenmeniz gerekiyor: yanıtlayın ya da yanıtlayabilecek birine verin.\n',
      },
      el: {
        subject: '[{{reference}}] Σας χρειάζεται: ακόμη αναπάντητο στον/στην {{agentName}}',
        body:
          'Γεια σας {{leadName}},\n\n' +
          'Το αίτημα {{reference}} («{{subject}}») έμεινε αναπάντητο στον/στην {{agentName}} μετά από {{overflows}} μεταβιβάσεις, ' +
          'και η δρομολόγηση δεν θα το μεταβιβάσει ξανά: {{stopReason}}.\n' +
          'Σας χρειάζεται: απαντήστε το ή αναθέστε το σε κάποιον που μπορεί.\n',
      },
    },
  },
  'sla.warning': {
    audience: 'agent',
    variables: [...TICKET, 'agentName', 'metric', 'dueAt', 'percent'],
    locales: {
      en: {
        subject: '[{{reference}}] {{percent}} of the {{metric}} time used: due {{dueAt}}',
        body: 'Hello {{agentName}},\n\nTicket {{reference}} ("{{subject}}") has used {{percent}} of its {{metric}} time; it is due at {{dueAt}}.\n',
      },
    },
  },
  'sla.breached': {
    audience: 'agent',
    variables: [...TICKET, 'agentName', 'metric', 'dueAt'],
    locales: {
      en: {
        subject: '[{{reference}}] SLA breached: {{metric}} was due {{dueAt}}',
        body:
          'Hello {{agentName}},\n\n' +
          'The {{metric}} target of ticket {{reference}} ("{{subject}}") assigned to you was due at {{dueAt}} and has been missed.\n' +
          'Please respond to the customer now.\n',
      },
    },
  },
  'sla.escalated': {
    audience: 'agent',
    variables: [...TICKET, 'recipientName', 'metric', 'breachedAt', 'step'],
    locales: {
      en: {
        subject: '[{{reference}}] Escalation step {{step}}: {{metric}} breached at {{breachedAt}}',
        body:
          'Hello {{recipientName}},\n\n' +
          'The {{metric}} target of ticket {{reference}} ("{{subject}}") was missed at {{breachedAt}} and the ticket is still not handled. ' +
          'This is escalation step {{step}}.\n',
      },
    },
  },
  'csat.recovery': {
    audience: 'agent',
    variables: [...TICKET, 'leadName', 'score', 'comment'],
    locales: {
      en: {
        subject: '[{{reference}}] Unhappy customer: CSAT {{score}} of 5',
        body:
          'Hello {{leadName}},\n\n' +
          'The customer rated ticket {{reference}} ("{{subject}}") {{score}} of 5.\n' +
          'Their comment: {{comment}}\n\nPlease reach out to them.\n',
      },
    },
  },
} as const satisfies Record<string, TemplateKindSpec>;

export type TemplateKind = keyof typeof TEMPLATE_CATALOG;

export function isTemplateKind(kind: string): kind is TemplateKind {
  return Object.hasOwn(TEMPLATE_CATALOG, kind);
}

/** Why overflow stopped, per locale, as the team lead's escalation says it. */
export const OVERFLOW_STOP_PHRASES: Record<string, Record<'limit_reached' | 'no_other_agent', string>> = {
  en: {
    limit_reached: 'it has been passed on as often as its routing rule allows',
    no_other_agent: 'no other qualified agent can take it',
  },
  tr: {
    limit_reached: 'yönlendirme kuralının izin verdiği kadar devredildi',
    no_other_agent: 'onu alabilecek başka uygun temsilci yok',
  },
  el: {
    limit_reached: 'μεταβιβάστηκε όσες φορές επιτρέπει ο κανόνας δρομολόγησής του',
    no_other_agent: 'κανένας άλλος κατάλληλος εκπρόσωπος δεν μπορεί να το αναλάβει',
  },
};

/** How the acknowledgment says when an answer will come, per locale. */
export const RESPONSE_TIME_PHRASES: Record<string, { by: string; asap: string }> = {
  en: { by: 'by {{time}}', asap: 'as soon as possible' },
  tr: { by: 'en geç {{time}}', asap: 'en kısa sürede' },
  el: { by: 'έως {{time}}', asap: 'το συντομότερο δυνατό' },
};
