// On a phone the staff menu is one sideways-scrolling row (site.css): show the current page's entry.
(function () {
  var current = document.querySelector('.main-nav [aria-current="page"]');
  if (current && current.scrollIntoView && window.matchMedia('(max-width: 640px)').matches) {
    current.scrollIntoView({ block: 'nearest', inline: 'center' });
  }
})();
