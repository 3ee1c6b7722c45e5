// The pilot's extension in Fava's own pages: on the page of a pool's account (统筹账户), a
// note with the pool's true balance (its account less the premiums booked on 维修支出 and not
// yet closed: what `xtaccounts pools --as-of` gives) and a link to the pool's ledger.
// No external code; the figures come from the extension's `pool_note` endpoint.

const POOL_PREFIX = "Equity:Undistributed-待分配累计收益:Pool-统筹账户:";
const NOTE_ID = "xt-pool-note";

function accountOfPage() {
  const match = window.location.pathname.match(/\/account\/([^/]+)\/?$/);
  return match ? decodeURIComponent(match[1]) : null;
}

function showNote(note) {
  const article = document.querySelector("article");
  if (!article || !note.pool) {
    return;
  }
  document.getElementById(NOTE_ID)?.remove();
  const box = document.createElement("p");
  box.id = NOTE_ID;
  box.setAttribute("role", "note");
  box.style.cssText =
    "padding:.6em 1em;border:1px solid #d98c00;background:#fff6e0;color:#5a3d00;margin:0 0 1em";
  const text = document.createElement("span");
  const head = `统筹账户 ${note.pool}（${note.name}）${note.day} 日终可用余额 ${note.balance} 元`;
  text.textContent =
    note.not_closed === "0.00"
      ? `${head}，与本页科目余额相同（没有尚未结转的保费）。`
      : `${head}：本页科目余额 ${note.account_balance} 元中有 ${note.not_closed} 元保费` +
        "已记入维修支出、尚未结转，不能再用于支付。";
  const link = document.createElement("a");
  link.href = note.url;
  link.textContent = "查看统筹账户明细（逐笔余额）";
  box.append(text, " ", link);
  article.prepend(box);
}

export default {
  onPageLoad(ctx) {
    const account = accountOfPage();
    if (!account || !account.startsWith(POOL_PREFIX)) {
      return;
    }
    const time = new URLSearchParams(window.location.search).get("time") || "";
    ctx.api
      .get("pool_note", { account, time })
      .then(showNote)
      .catch(() => {});
  },
};
