// The layout checks run on every page the browser journeys visit (conftest's
// layout_problems), at each width: footer below the end of main; nothing of main
// under the header or the footer; headings in order (h1 first, no skipped
// level); no horizontal scroll; every form's submit button inside main and above
// the footer. Returns the problems found, as sentences.
() => {
  const problems = [];
  const page = (rect) => ({
    top: rect.top + window.scrollY, bottom: rect.bottom + window.scrollY,
    left: rect.left + window.scrollX, right: rect.right + window.scrollX,
  });
  const shown = (el) => el.checkVisibility({visibilityProperty: true, opacityProperty: true});
  const describe = (el) => {
    const text = (el.innerText || el.value || "").trim().replace(/\s+/g, " ").slice(0, 50);
    const id = el.id ? `#${el.id}` : "";
    const cls = el.classList.length ? `.${[...el.classList].join(".")}` : "";
    return `<${el.tagName.toLowerCase()}${id}${cls}> "${text}"`;
  };
  const overlap = (a, b) => a.top < b.bottom - 1 && b.top < a.bottom - 1
    && a.left < b.right - 1 && b.left < a.right - 1;
  const main = document.querySelector("main, [role=main]");
  const header = document.querySelector("header, [role=banner]");
  const footer = document.querySelector("footer, [role=contentinfo]");
  if (!main) return ["no main"];
  const mainBox = page(main.getBoundingClientRect());
  const headerBox = header ? page(header.getBoundingClientRect()) : null;
  const footerBox = footer ? page(footer.getBoundingClientRect()) : null;
  if (footerBox && footerBox.top < mainBox.bottom - 1)
    problems.push(`footer starts at ${Math.round(footerBox.top)} px, above the end of main (${Math.round(mainBox.bottom)} px)`);
  // Every visible box of main (sr-only text is clipped to 1 px: left out).
  for (const el of main.querySelectorAll("*")) {
    const rect = el.getBoundingClientRect();
    if (rect.width <= 1 || rect.height <= 1 || !shown(el)) continue;
    if (getComputedStyle(el).position === "fixed") continue;
    const box = page(rect);
    if (headerBox && overlap(box, headerBox)) problems.push(`${describe(el)} overlaps the header`);
    if (footerBox && overlap(box, footerBox)) problems.push(`${describe(el)} overlaps the footer`);
    if (problems.length > 8) break;
  }
  // Headings, in document order: an h1 first, then no skipped level.
  let previous = 0;
  for (const h of document.querySelectorAll("h1, h2, h3, h4, h5, h6")) {
    if (!shown(h)) continue;
    const level = Number(h.tagName[1]);
    if (previous === 0 && level !== 1) problems.push(`first heading is ${describe(h)}, not an h1`);
    else if (previous && level > previous + 1)
      problems.push(`heading ${describe(h)} skips a level after an h${previous}`);
    previous = level;
  }
  const scroller = document.scrollingElement || document.documentElement;
  if (scroller.scrollWidth > window.innerWidth)
    problems.push(`horizontal scroll: ${scroller.scrollWidth} px wide for ${window.innerWidth} px`);
  // A form's submit button: where people read the form, never under the footer.
  for (const form of document.forms) {
    if (header && header.contains(form)) continue;
    const buttons = form.querySelectorAll(
      "button:not([type]), button[type=submit], input[type=submit]");
    for (const button of buttons) {
      if (!shown(button)) continue;
      if (!main.contains(button)) { problems.push(`${describe(button)} outside main`); continue; }
      const box = page(button.getBoundingClientRect());
      if (footerBox && box.bottom > footerBox.top + 1)
        problems.push(`${describe(button)} below the top of the footer`);
    }
  }
  return problems;
}
