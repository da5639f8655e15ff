/*
 * Ask the article: the chat form, enhanced. Without this file the form posts to the server,
 * which renders the transcript; with it, questions go to /api/ask with fetch and answers are
 * appended in place. The conversation lives in the page (hidden fields of each exchange), never
 * on the server, so a plain form submission still carries it if anything here fails.
 */
(function () {
  "use strict";

  const form = document.getElementById("chat");
  if (!form) return;
  // The API's limits, handed over by the page (qa/limits.py); older exchanges are dropped to stay within them.
  const limits = JSON.parse(form.dataset.limits);
  const MAX_TURNS = limits.maxHistoryTurns;
  const MAX_HISTORY_CHARS = limits.maxHistoryChars;
  const TOP_K = limits.topK;
  const box = document.getElementById("question");
  const transcript = document.getElementById("transcript");
  const examples = document.getElementById("examples");
  const status = document.getElementById("status");
  const composerError = document.getElementById("composer-error");
  const serverError = document.getElementById("form-error");
  const send = document.getElementById("send");
  const label = document.querySelector('label[for="question"]');
  const intro = document.querySelector(".intro");
  const newConversation = document.getElementById("new-conversation");
  // In an archive, the document the reader chose to ask alone ("" for all of them).
  const scope = document.getElementById("document");
  const reduceMotion = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  let busy = false;

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  /* The 👍 / 👎 icons, from the app's own SVG sprite (no emoji font needed). */
  function icon(name) {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("class", "icon");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    const use = document.createElementNS(ns, "use");
    use.setAttribute("href", "/static/icons.svg#" + name);
    svg.append(use);
    return svg;
  }

  function hidden(name, value) {
    const input = el("input");
    input.type = "hidden";
    input.name = name;
    input.value = value;
    return input;
  }

  /* The exchanges the form still carries, oldest first (dropped ones have their fields disabled). */
  function carried() {
    return Array.from(transcript.querySelectorAll(".exchange")).filter(function (node) {
      const q = node.querySelector('input[name="q"]');
      return q && !q.disabled;
    });
  }

  function field(node, name) {
    return node.querySelector('input[name="' + name + '"]').value;
  }

  /* Drop the oldest exchanges from the conversation until it fits the API's limits. */
  function trimConversation() {
    let nodes = carried();
    const size = function (list) {
      return list.reduce(function (n, node) { return n + field(node, "q").length + field(node, "a").length; }, 0);
    };
    while (nodes.length && (2 * nodes.length > MAX_TURNS || size(nodes) > MAX_HISTORY_CHARS)) {
      nodes[0].querySelectorAll('input[type="hidden"]').forEach(function (input) { input.disabled = true; });
      nodes = nodes.slice(1);
    }
    // Keep the no-JavaScript rating buttons pointing at the right exchange of the form.
    nodes.forEach(function (node, i) {
      node.querySelectorAll('button[name="rate"]').forEach(function (button) {
        button.value = i + ":" + button.value.split(":")[1];
      });
    });
    return nodes;
  }

  function history() {
    const turns = [];
    trimConversation().forEach(function (node) {
      turns.push({ role: "user", content: field(node, "q") });
      turns.push({ role: "assistant", content: field(node, "a") });
    });
    return turns;
  }

  function paragraphUrl(passage) {
    return "/articles/" + encodeURIComponent(passage.document) + "#p" + passage.paragraph;
  }

  function articleUrl(passage) {
    const start = passage.start + passage.highlight.start;
    const end = passage.start + passage.highlight.end;
    return "/articles/" + encodeURIComponent(passage.document) + "?s=" + start + "&e=" + end + "#p" + passage.paragraph;
  }

  /* The answer with each [n] marker a link to the n-th passage, as the server renders it. */
  function answerText(answer, turn, cited) {
    const p = el("p", "answer-text");
    const marker = /\[(\d+)\]/g;
    let last = 0;
    let match;
    while ((match = marker.exec(answer)) !== null) {
      const n = Number(match[1]);
      if (n < 1 || n > cited) continue;
      p.append(answer.slice(last, match.index));
      const link = el("a", "marker", "[" + n + "]");
      link.href = "#t" + turn + "-c" + n;
      p.append(link);
      last = match.index + match[0].length;
    }
    p.append(answer.slice(last));
    return p;
  }

  /* A cited source ([n], its sentence marked), or related reading: no number, nothing marked, linked to its
     paragraph alone, as the server renders them (templates/_passage.html). */
  function passageItem(passage, turn, related) {
    const item = el("li", related ? "related-passage" : "source");
    item.id = "t" + turn + (related ? "-r" : "-c") + passage.rank;
    const where = passage.paragraph === 0 ? "Standfirst" : "Paragraph " + passage.paragraph;
    const meta = el("p", "source-meta");
    if (!related) meta.append(el("span", "source-n", "[" + passage.rank + "]"), " ");
    meta.append(el("span", "source-para", where), " ", el("span", "source-title", passage.title));
    const quote = el("blockquote", "source-text");
    const text = passage.text;
    if (related) {
      quote.textContent = text;
    } else {
      quote.append(text.slice(0, passage.highlight.start), el("mark", null, text.slice(passage.highlight.start, passage.highlight.end)),
        text.slice(passage.highlight.end));
    }
    const link = el("a", "source-link", "Read in the article");
    link.href = related ? paragraphUrl(passage) : articleUrl(passage);
    link.target = "_blank";
    link.rel = "noopener";
    link.append(el("span", "visually-hidden", " (" + where.toLowerCase() + ", opens in a new tab)"));
    item.append(meta, quote, link);
    return item;
  }

  /* The best passage in full, the others folded away, as the server renders them (templates/_passages.html). */
  function passageList(passages, turn, related) {
    const tag = related ? "ul" : "ol";
    const listClass = related ? "related-passages" : "sources";
    const list = el(tag, listClass);
    list.append(passageItem(passages[0], turn, related));
    const rest = passages.slice(1);
    if (!rest.length) return [list];
    const noun = rest.length === 1 ? "passage" : "passages";
    const more = el("details", "more-sources");
    more.append(el("summary", null, rest.length + " more " + (related ? "related " + noun : noun + " from the article")));
    const restList = el(tag, listClass);
    rest.forEach(function (passage) { restList.append(passageItem(passage, turn, related)); });
    more.append(restList);
    return [list, more];
  }

  function feedbackGroup(turn) {
    const group = el("div", "feedback");
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", "Rate this answer");
    const caption = el("span", "feedback-label", "Helpful?");
    caption.setAttribute("aria-hidden", "true");
    group.append(caption);
    [["up", "thumb-up", "Helpful"], ["down", "thumb-down", "Not helpful"]].forEach(function (spec) {
      const button = el("button", "rate");
      button.append(icon(spec[1]));
      button.type = "submit";
      button.name = "rate";
      button.value = turn + ":" + spec[0];
      button.formAction = "/feedback";
      button.formNoValidate = true;
      button.setAttribute("aria-label", spec[2]);
      button.setAttribute("aria-pressed", "false");
      group.append(button);
    });
    const said = el("span", "feedback-status");
    said.setAttribute("role", "status");
    group.append(said);
    return group;
  }

  function exchangeNode(turn, question, result) {
    const node = el("article", "exchange");
    node.id = "t" + turn;
    node.dataset.turn = String(turn);
    node.setAttribute("aria-labelledby", "t" + turn + "-q");
    node.append(el("h2", "visually-hidden", "Question " + (turn + 1)));
    const q = el("p", "question", question);
    q.id = "t" + turn + "-q";
    node.append(q);
    // A misspelt name read as the article spells it: say what was searched (Answer.searched).
    if (result.searched) node.append(el("p", "searched", "Searched for \u201c" + result.searched + "\u201d"));
    // Why it was declined, read from what is shown, as the server reads it back from the form (Exchange.declined).
    const declined = result.passages.length ? null : result.related.length ? "not_in_article" : "off_topic";
    const answer = el("div", declined ? "answer answer--none answer--" + declined.replace(/_/g, "-") : "answer");
    answer.append(el("h3", "visually-hidden", "Answer"), answerText(result.answer, turn, result.passages.length));
    if (result.passages.length) {
      answer.append(el("h3", "sources-title", "From the article"));
      answer.append(...passageList(result.passages, turn, false));
    }
    if (declined === "not_in_article") {
      // The closest passages, offered as reading and labelled as such: never shown as the answer.
      const section = el("section", "related");
      section.setAttribute("aria-labelledby", "t" + turn + "-related");
      const title = el("h3", "related-title", "Related reading ");
      title.id = "t" + turn + "-related";
      title.append(el("span", "related-note", "— these passages don't answer the question"));
      section.append(title);
      section.append(...passageList(result.related, turn, true));
      answer.append(section);
    }
    answer.append(feedbackGroup(turn));
    node.append(answer);
    node.append(hidden("q", question), hidden("a", result.answer), hidden("cites", refs(result.passages)),
      hidden("related", refs(result.related)), hidden("searched", result.searched || ""));
    return node;
  }

  /* The hidden cites / related fields: where each passage lies, no text (service/conversation.py re-reads it). */
  function refs(passages) {
    return JSON.stringify(passages.map(function (p) {
      return { id: p.id, document: p.document, start: p.start, end: p.end, score: p.score, highlight: [p.highlight.start, p.highlight.end] };
    }));
  }

  function showError(message) {
    composerError.textContent = message;
    composerError.hidden = !message;
    if (serverError) serverError.remove();
  }

  function setBusy(on) {
    busy = on;
    send.setAttribute("aria-disabled", on ? "true" : "false");
    transcript.setAttribute("aria-busy", on ? "true" : "false");
  }

  function reveal(node) {
    node.scrollIntoView({ block: "start", behavior: reduceMotion ? "auto" : "smooth" });
  }

  async function ask(question) {
    question = question.trim();
    if (!question) {
      showError("Please type a question first.");
      box.focus();
      return;
    }
    showError("");
    setBusy(true);
    const turn = transcript.querySelectorAll(".exchange").length;
    const payload = { question: question, history: history(), top_k: TOP_K };
    if (scope && scope.value) payload.document = scope.value;
    const pending = el("article", "exchange is-pending");
    pending.append(el("p", "question", question), el("p", "working", "Looking through the article…"));
    transcript.hidden = false;
    transcript.append(pending);
    if (examples) examples.hidden = true;
    status.textContent = "Looking for an answer…";
    box.value = "";
    box.focus();
    reveal(pending);
    try {
      const response = await fetch("/api/ask", {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify(payload),
      });
      const body = await response.json().catch(function () { return null; });
      if (!response.ok || !body || typeof body.answer !== "string") {
        const reason = body && body.error ? body.error.message : "The server did not answer (" + response.status + ").";
        throw new Error(reason);
      }
      const node = exchangeNode(turn, question, body);
      pending.replaceWith(node);
      trimConversation();
      status.textContent = "Answer: " + body.answer;
      if (intro) intro.classList.add("intro--compact");
      if (label) label.textContent = "Ask a follow-up question";
      if (newConversation) newConversation.hidden = false;
      reveal(node);
    } catch (error) {
      pending.remove();
      if (!transcript.querySelector(".exchange")) {
        transcript.hidden = true;
        if (examples) examples.hidden = false;
      }
      if (!box.value) box.value = question;
      status.textContent = "";
      showError("Sorry, that question could not be answered: " + error.message);
    } finally {
      setBusy(false);
      box.focus();
    }
  }

  async function rate(button) {
    const node = button.closest(".exchange");
    const group = button.closest(".feedback");
    const said = group.querySelector(".feedback-status");
    if (group.dataset.rated) return;
    const passageIds = JSON.parse(field(node, "cites")).map(function (c) { return c.id; });
    const rating = button.value.split(":")[1];
    group.dataset.rated = "pending";
    try {
      const response = await fetch("/api/feedback", {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ rating: rating, question: field(node, "q"), answer: field(node, "a"), passage_ids: passageIds }),
      });
      if (!response.ok) throw new Error(String(response.status));
      group.dataset.rated = rating;
      group.querySelectorAll("button.rate").forEach(function (b) {
        b.setAttribute("aria-disabled", "true");
        b.setAttribute("aria-pressed", b === button ? "true" : "false");
      });
      said.textContent = "Thanks, your rating was saved.";
    } catch (error) {
      delete group.dataset.rated;
      said.textContent = "Sorry, your rating could not be saved.";
    }
  }

  form.addEventListener("submit", function (event) {
    const submitter = event.submitter;
    event.preventDefault();
    if (submitter && submitter.name === "rate") {
      rate(submitter);
      return;
    }
    if (busy) return;
    ask(submitter && submitter.name === "example" ? submitter.value : box.value);
  });

  // A marker pointing at a folded passage unfolds it first.
  transcript.addEventListener("click", function (event) {
    const marker = event.target.closest("a.marker");
    const target = marker && document.getElementById(marker.hash.slice(1));
    const fold = target && target.closest("details");
    if (fold) fold.open = true;
  });

  box.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && !event.altKey && !event.ctrlKey && !event.metaKey) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
})();
