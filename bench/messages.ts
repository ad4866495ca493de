// The request bodies: a fixed pool of realistic chat messages across the catalog's intents, in
// English and Chinese (a few long ones for payload realism), sent by a fixed set of users whose
// sessions are renewed every few turns, so sessions grow but stay bounded.

const LONG_ORDER_COMPLAINT = [
  "Hello, I am writing about order 88123-NW which I placed three weeks ago for a pair of running shoes, a rain jacket and two packs of socks.",
  "The tracking page said the parcel was handed to the courier on the 3rd, then nothing changed for eight days, and yesterday it suddenly showed 'returned to sender'.",
  "I was at home the whole time and nobody rang the bell, there is no note in my mailbox, and my neighbours did not receive anything either.",
  "The delivery address on the order is correct (Flat 4B, 17 Harbour Road), I double-checked it in my account, and I used the same address for my last two orders which arrived without problems.",
  "I need the jacket for a trip that starts in ten days, so I would like to know whether you can ship the order again with express delivery, or whether I should cancel and order again.",
  "If the parcel comes back to your warehouse, please do not refund it automatically because I still want the items; I would rather have them resent.",
  "Could you also tell me why the courier marked it as returned, and whether anything was damaged?",
  "For reference, the order confirmation email arrived on the 1st at 14:02, the payment was taken from my card the same day, and the shipping confirmation came two days later with tracking number NW-TRK-5519-0032.",
  "I contacted the courier's hotline twice; the first time they told me to ask the sender, the second time the call was cut off after twenty minutes on hold.",
  "I also noticed that the estimated delivery date on your website still shows the 6th, which is clearly wrong now, so the page is not being updated.",
  "If express shipping costs extra I think it is fair that you cover it, given the circumstances, but please tell me before you charge anything.",
  "Thank you for your help, I have been a customer for years and this is the first time something like this happened.",
].join(" ");

const LONG_TECH_REPORT_ZH = [
  "你好，我在你们的应用里登录的时候一直报错，提示“会话已过期，请重新登录”，但是我每次输入密码之后又回到同一个页面。",
  "我已经试过重置密码、清除应用缓存、卸载后重新安装，也换过无线网络和手机流量，问题都一样。",
  "我的手机是去年在你们店里买的，系统已经更新到最新版本，应用也是最新版本。",
  "网站那边我用电脑浏览器可以正常登录，所以账号本身应该没有问题。",
  "我需要在应用里查看我的订单和发票，现在完全不能用，请问有什么办法可以解决？如果需要我提供错误截图或者设备信息，请告诉我具体需要哪些。",
  "另外，我发现每次登录失败之后，应用会自动退出，再打开的时候需要重新输入手机号和验证码，验证码有时候要等好几分钟才收到。",
  "我身边用同一个应用的朋友没有遇到这个问题，所以我怀疑是我的账号或者设备有什么特别的设置。",
  "我的账号绑定了两个手机号，之前换过一次号码，不知道这个会不会有影响。",
  "希望你们能尽快帮我处理，谢谢！",
].join("");

/** The pool, in a fixed order; each user walks it from a different offset. */
export const MESSAGES: readonly string[] = [
  "Where is my order 10293? It was supposed to arrive yesterday.",
  "I was charged twice for the same purchase, can you refund one of the payments?",
  "The app crashes every time I open my order history.",
  "Hi there! How are you today?",
  "我的订单什么时候发货？已经等了一个星期了。",
  "我被重复扣款了，请帮我退款。",
  "应用一直报错，登录不了，怎么办？",
  "你好，谢谢你们上次的帮助！",
  "Can I change the delivery address of my last order to my office?",
  "Do you have a coupon for my next purchase? The discount code SAVE10 did not work.",
  "I forgot my password and the reset email never arrives.",
  "Thanks a lot, that solved it. Have a nice day!",
  "I want to return the headphones I bought last week, how does the exchange work?",
  "请问发票什么时候可以开？我需要报销。",
  "网站上的购物车打不开，显示错误代码 500。",
  "Hmm, I'm not sure, something is wrong with it.",
  LONG_ORDER_COMPLAINT,
  "Why is the price on the invoice different from the price on the website?",
  "我想取消订单，还没有发货。",
  "The smart watch I bought does not turn on anymore, the screen stays black.",
  LONG_TECH_REPORT_ZH,
  "Can you tell me a joke while I wait?",
  "My package says delivered but I cannot find it anywhere.",
  "有人在吗？",
];

export interface SessionPlan {
  /** Distinct simulated users; each connection plays one of them. */
  users: number;
  /** Turns per session before the user starts a new one. */
  turnsPerSession: number;
}

export const DEFAULT_SESSION_PLAN: SessionPlan = { users: 256, turnsPerSession: 8 };

/**
 * The bodies one connection sends, turn after turn. Deterministic: connection `index` of run
 * `runTag` always sends the same sequence.
 */
export class ConversationSource {
  #turn = 0;
  readonly #user: string;
  readonly #offset: number;

  readonly #runTag: string;
  readonly #plan: SessionPlan;

  constructor(
    readonly index: number,
    runTag: string,
    plan: SessionPlan = DEFAULT_SESSION_PLAN,
  ) {
    this.#runTag = runTag;
    this.#plan = plan;
    this.#user = `bench-user-${index % plan.users}`;
    this.#offset = (index * 7) % MESSAGES.length;
  }

  /** The next request body, as JSON text. */
  next(): string {
    const turn = this.#turn++;
    const session = Math.floor(turn / this.#plan.turnsPerSession);
    const message = MESSAGES[(this.#offset + turn) % MESSAGES.length]!;
    return JSON.stringify({
      message,
      user_id: this.#user,
      session_id: `bench-${this.#runTag}-c${this.index}-s${session}`,
    });
  }
}
