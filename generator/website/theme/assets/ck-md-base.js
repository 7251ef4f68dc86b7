/* Material for MkDocs' inline head script (partials/javascripts/base.html), as a file:
   the site's Content-Security-Policy allows scripts from the site only, never inline.
   The scope is the site's base URL, given by the script tag's data-md-scope. */
__md_scope=new URL(document.currentScript.dataset.mdScope,location),__md_hash=e=>[...e].reduce(((e,_)=>(e<<5)-e+_.charCodeAt(0)),0),__md_get=(e,_=localStorage,t=__md_scope)=>JSON.parse(_.getItem(t.pathname+"."+e)),__md_set=(e,_,t=localStorage,a=__md_scope)=>{try{t.setItem(a.pathname+"."+e,JSON.stringify(_))}catch(e){}};
