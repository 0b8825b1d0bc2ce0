import { pickLocale } from '../templates/render-template';

interface PageText {
  title: string;
  question: string;
  commentPlaceholder: string;
  thanks: string;
  alreadyAnswered: string;
}

/** The survey page in the languages the customer emails are written in. */
const TEXT: Record<string, PageText> = {
  en: {
    title: 'Support survey',
    question: 'How satisfied are you with how we handled your request? (1 = not at all, 5 = very)',
    commentPlaceholder: 'Anything to add?',
    thanks: 'Thank you for your answer. It helps us get better.',
    alreadyAnswered: 'Thank you, your answer is already recorded.',
  },
  tr: {
    title: 'Destek anketi',
    question: 'Talebinizle ilgilenme şeklimizden ne kadar memnunsunuz? (1 = hiç, 5 = çok)',
    commentPlaceholder: 'Eklemek istediğiniz bir şey var mı?',
    thanks: 'Yanıtınız için teşekkür ederiz. Daha iyi olmamıza yardımcı oluyor.',
    alreadyAnswered: 'Teşekkür ederiz, yanıtınız zaten kaydedildi.',
  },
  el: {
    title: 'Έρευνα υποστήριξης',
    question: 'Πόσο ικανοποιημένοι είστε με τον χειρισμό του αιτήματός σας; (1 = καθόλου, 5 = πολύ)',
    commentPlaceholder: 'Θέλετε να προσθέσετε κάτι;',
    thanks: 'Σας ευχαριστούμε για την απάντησή σας. Μας βοηθά να γινόμαστε καλύτεροι.',
    alreadyAnswered: 'Σας ευχαριστούμε, η απάντησή σας έχει ήδη καταγραφεί.',
  },
};

/** The page language: the customer's locale first, then the ticket's language, else English. */
export function surveyPageLocale(preferred: Array<string | null | undefined>): string {
  return pickLocale(Object.keys(TEXT), preferred);
}

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

function page(locale: string, content: string): string {
  return (
    `<!doctype html><html lang="${locale}"><head><meta charset="utf-8">` +
    `<title>${escapeHtml(TEXT[locale].title)}</title></head><body>${content}</body></html>`
  );
}

/** Five buttons and a comment box; `score` is the button the email's link pre-selects. */
export function surveyFormPage(locale: string, action: string, score?: string): string {
  const text = TEXT[locale];
  const buttons = [1, 2, 3, 4, 5]
    .map((n) => `<button name="score" value="${n}"${String(n) === score ? ' autofocus' : ''}>${n}</button>`)
    .join(' ');
  return page(
    locale,
    `<form method="post" action="${escapeHtml(action)}">` +
      `<p>${escapeHtml(text.question)}</p>` +
      `<p><textarea name="comment" maxlength="2000" rows="4" cols="50" placeholder="${escapeHtml(text.commentPlaceholder)}"></textarea></p>` +
      `<p>${buttons}</p></form>`,
  );
}

export function thankYouPage(locale: string): string {
  return page(locale, `<p>${escapeHtml(TEXT[locale].thanks)}</p>`);
}

export function alreadyAnsweredPage(locale: string): string {
  return page(locale, `<p>${escapeHtml(TEXT[locale].alreadyAnswered)}</p>`);
}
