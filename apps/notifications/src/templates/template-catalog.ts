/**
 * The messages shipped with the product, per kind and locale. Plain text with `{{name}}`
 * placeholders only: no expressions, no code, so a template can never execute anything.
 */
export type TemplateKind = 'ticket.acknowledgment' | 'sla.breached' | 'ticket.reassigned';

export interface MessageTemplate {
  subject: string;
  body: string;
}

export const DEFAULT_LOCALE = 'en';

export const TEMPLATE_CATALOG: Record<TemplateKind, Record<string, MessageTemplate>> = {
  'ticket.acknowledgment': {
    en: {
      subject: '[{{reference}}] We received your request: {{subject}}',
      body:
        'Hello {{customerName}},\n\n' +
        'Thank you for contacting us. Your request has been received and given the reference {{reference}}.\n' +
        'An agent will get back to you as soon as possible. Reply to this email to add anything.\n\n' +
        'Support',
    },
    tr: {
      subject: '[{{reference}}] Talebinizi aldık: {{subject}}',
      body:
        'Merhaba {{customerName}},\n\n' +
        'Bizimle iletişime geçtiğiniz için teşekkür ederiz. Talebiniz alındı ve {{reference}} referans numarası verildi.\n' +
        'Bir temsilcimiz en kısa sürede size dönüş yapacak. Eklemek istediklerinizi bu e-postayı yanıtlayarak iletebilirsiniz.\n\n' +
        'Destek Ekibi',
    },
    el: {
      subject: '[{{reference}}] Λάβαμε το αίτημά σας: {{subject}}',
      body:
        'Γεια σας {{customerName}},\n\n' +
        'Σας ευχαριστούμε που επικοινωνήσατε μαζί μας. Το αίτημά σας καταχωρήθηκε με αριθμό αναφοράς {{reference}}.\n' +
        'Ένας εκπρόσωπός μας θα σας απαντήσει το συντομότερο. Απαντήστε σε αυτό το email για να προσθέσετε κάτι.\n\n' +
        'Υποστήριξη',
    },
  },
  'sla.breached': {
    en: {
      subject: '[{{reference}}] SLA breached: {{metric}} was due {{dueAt}}',
      body:
        'Hello {{agentName}},\n\n' +
        'The {{metric}} target of ticket {{reference}} ("{{subject}}") assigned to you was due at {{dueAt}} and has been missed.\n' +
        'Please respond to the customer now.\n',
    },
  },
  'ticket.reassigned': {
    en: {
      subject: '[{{reference}}] Reassigned to {{agentName}}: no first response in time',
      body:
        'Hello {{leadName}},\n\n' +
        'Ticket {{reference}} ("{{subject}}") had no first response from {{previousAgent}} in time, ' +
        'so it is now assigned to {{agentName}}.\n',
    },
  },
};
